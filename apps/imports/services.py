"""Imports from the browser: upload → check (a dry run, rolled back) → preview →
confirm → import, each step a service; the views and tasks only call them.

Nothing is written before the confirmation: the check runs the kind's importer in
a transaction that is always rolled back, so the preview is exactly what the
import would do. A refused file writes nothing either way. The confirmed import
runs the same importer for real, recorded in the audit log as the confirming
officer's (file name and counts, by `audit_import` inside the importer)."""

from __future__ import annotations

import logging

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


def import_job_check(*, job: ImportJob) -> ImportJob:
    """Run the importer on the file and roll everything back: the job becomes READY
    with the preview (rows to add, to change with old → new, unchanged), or REFUSED
    with every problem by row number."""
    kind = KINDS[job.kind]
    result = problems = None
    try:
        with transaction.atomic():
            result = kind.run(job, _source(job), _reporter(job))
            raise _Rollback
    except _Rollback:
        pass
    except FileRefused as refused:
        problems = refused.problems
    except Exception as exc:  # a bug or a lost database: the job says so, nothing kept
        logger.exception("checking import %s failed", job.pk)
        return _finish(job, State.FAILED, error=str(exc))
    if problems is not None:
        return _finish(job, State.REFUSED, problems=problems)
    ImportJob.objects.filter(pk=job.pk).update(
        state=State.READY, preview=result.as_dict(), problems=[]
    )
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
    data have changed since the preview so that the file is now refused, nothing is
    written and the job says why."""
    kind = KINDS[job.kind]
    try:
        with acting_as(job.confirmed_by), transaction.atomic():
            result = kind.run(job, _source(job), _reporter(job))
    except FileRefused as refused:
        return _finish(job, State.REFUSED, problems=refused.problems)
    except Exception as exc:
        logger.exception("import %s failed", job.pk)
        return _finish(job, State.FAILED, error=str(exc))
    return _finish(job, State.DONE, result=result.as_dict())


def _finish(job: ImportJob, state: str, **fields) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(state=state, finished_at=timezone.now(), **fields)
    cache.delete(progress_key(job))
    job.refresh_from_db()
    return job


def import_job_dispatch(*, job: ImportJob, step: str) -> bool:
    """Check (`step="check"`) or import (`"run"`) the job: on a worker for the kinds
    that take long (the statistics), here for the others. False when the task
    queue cannot be reached: the job is then failed, saying so, and can be
    uploaded again."""
    from .tasks import import_check, import_run

    if not KINDS[job.kind].on_worker:
        (import_job_check if step == "check" else import_job_run)(job=job)
        return True
    task = import_check if step == "check" else import_run
    try:
        task.delay(job.pk)
    except Exception:  # kombu's OperationalError, redis' ConnectionError, OSError…
        logger.warning("the task queue cannot be reached for import %s", job.pk, exc_info=True)
        _finish(
            job,
            State.FAILED,
            error=_("The task queue cannot be reached: upload the file again later."),
        )
        return False
    return True
