"""Imports from the browser: upload → check (a dry run, rolled back) → preview →
confirm → import, each step a service; the views and tasks only call them. Both the
check and the import run on a Celery worker, within HIPWATCH_IMPORT_TIME_LIMIT: no
web request waits on a file.

Nothing is written before the confirmation: the check runs the kind's importer in
a transaction that is always rolled back, so the preview is exactly what the
import would do. A refused file writes nothing either way. The confirmed import
runs the same importer for real, recorded in the audit log as the confirming
officer's (file name and counts, by `audit_import` inside the importer)."""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import acting_as
from apps.core.tabular import FileRefused, NamedBytes

from .kinds import KINDS
from .models import ImportJob

logger = logging.getLogger(__name__)
State = ImportJob.State
PROGRESS_SECONDS = 3600


class _Rollback(Exception):
    """Leaves the dry run's transaction, undoing everything it wrote."""


def progress_key(job: ImportJob) -> str:
    return f"hipwatch:import-progress:{job.pk}"


def import_progress(job: ImportJob) -> dict | None:
    """How far a job being checked or imported has got: {stage, done, total}.
    Kept in the cache: the import's own transaction hides its rows until the end."""
    return cache.get(progress_key(job))


def _reporter(job: ImportJob):
    def report(stage: str, done: int, total: int) -> None:
        cache.set(
            progress_key(job), {"stage": str(stage), "done": done, "total": total}, PROGRESS_SECONDS
        )

    return report


def _source(job: ImportJob) -> NamedBytes:
    return NamedBytes(bytes(job.content), job.file_name)


@transaction.atomic
def import_job_create(
    *, user, kind: str, file_name: str, content: bytes, platform=None, options: dict | None = None
) -> ImportJob:
    """Keep an uploaded file to check; nothing of it is imported yet."""
    return ImportJob.objects.create(
        kind=kind,
        file_name=file_name[:255],
        content=content,
        size=len(content),
        platform=platform,
        options=options or {},
        region=user.region if user.role else None,
        created_by=user,
    )


def _timed_out() -> str:
    return _(
        "The file took longer than %(seconds)d seconds and was stopped: split it into "
        "smaller files and import them one by one."
    ) % {"seconds": settings.HIPWATCH_IMPORT_TIME_LIMIT}


def import_job_check(*, job: ImportJob) -> ImportJob:
    """Run the importer on the file and roll everything back: the job becomes READY
    with the preview (rows to add, to change with old → new, unchanged), or REFUSED
    with every problem by row number, or FAILED when the worker's time limit stopped
    the check."""
    kind = KINDS[job.kind]
    try:
        try:
            with transaction.atomic():
                result = kind.run(job, _source(job), _reporter(job))
                raise _Rollback
        except _Rollback:
            pass
        ImportJob.objects.filter(pk=job.pk, state=State.CHECKING).update(
            state=State.READY, preview=result.as_dict(), problems=[]
        )
    except FileRefused as refused:
        return _finish(job, State.REFUSED, problems=refused.problems)
    except SoftTimeLimitExceeded:
        logger.warning("checking import %s passed its time limit", job.pk)
        return _finish(job, State.FAILED, error=_timed_out())
    except Exception as exc:  # a bug or a lost database: the job says so, nothing kept
        logger.exception("checking import %s failed", job.pk)
        return _finish(job, State.FAILED, error=str(exc))
    cache.delete(progress_key(job))
    job.refresh_from_db()
    return job


def import_job_claim(*, job: ImportJob, user) -> bool:
    """Confirm a previewed job: READY → IMPORTING, once (a second click, or a
    second officer, claims nothing)."""
    claimed = ImportJob.objects.filter(pk=job.pk, state=State.READY).update(
        state=State.IMPORTING, confirmed_by=user, confirmed_at=timezone.now()
    )
    job.refresh_from_db()
    return bool(claimed)


def import_job_cancel(*, job: ImportJob) -> bool:
    cancelled = ImportJob.objects.filter(pk=job.pk, state=State.READY).update(
        state=State.CANCELLED, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return bool(cancelled)


def import_job_run(*, job: ImportJob) -> ImportJob:
    """Import a confirmed job for real, as the officer who confirmed it. Should the
    data have changed since the preview so that the file is now refused, or the
    worker's time limit stop the import, nothing is written and the job says why."""
    kind = KINDS[job.kind]
    try:
        with acting_as(job.confirmed_by), transaction.atomic():
            result = kind.run(job, _source(job), _reporter(job))
            # In the import's transaction: the rows are never written without the
            # job done, nor the job done without its rows, whenever a time limit falls.
            return _finish(job, State.DONE, result=result.as_dict())
    except FileRefused as refused:
        return _finish(job, State.REFUSED, problems=refused.problems)
    except SoftTimeLimitExceeded:
        logger.warning("import %s passed its time limit", job.pk)
        return _finish(job, State.FAILED, error=_timed_out())
    except Exception as exc:
        logger.exception("import %s failed", job.pk)
        return _finish(job, State.FAILED, error=str(exc))


def _finish(job: ImportJob, state: str, **fields) -> ImportJob:
    """End a job still being checked or imported (one already ended stays as it is)."""
    ImportJob.objects.filter(pk=job.pk, state__in=(State.CHECKING, State.IMPORTING)).update(
        state=state, finished_at=timezone.now(), **fields
    )
    cache.delete(progress_key(job))
    job.refresh_from_db()
    return job


def import_job_dispatch(*, job: ImportJob, step: str) -> bool:
    """Hand the job to a worker to check (`step="check"`) or import (`"run"`), whatever
    its kind: a small file of one kind may be a zip bomb or a million rows of another
    (without REDIS_URL, the worker is this process). False when the task queue
    cannot be reached: the job is then failed, saying so, and can be uploaded again."""
    from .tasks import import_check, import_run

    task = import_check if step == "check" else import_run
    limit = settings.HIPWATCH_IMPORT_TIME_LIMIT
    try:
        # The soft limit raises SoftTimeLimitExceeded in the task, which fails the job;
        # the hard one ends a task that could not stop in the minute after it.
        task.apply_async((job.pk,), soft_time_limit=limit, time_limit=limit + 60)
    except Exception:  # kombu's OperationalError, redis' ConnectionError, OSError…
        logger.warning("the task queue cannot be reached for import %s", job.pk, exc_info=True)
        _finish(
            job,
            State.FAILED,
            error=_("The task queue cannot be reached: upload the file again later."),
        )
        return False
    return True
