"""A file still being checked or imported when its task's time limit falls fails its
job, saying so, and writes nothing (the check is rolled back anyway; the import is
one transaction).

In a prefork worker, what production runs, the pool sends the task's process
SIGUSR1 at the soft limit and billiard's handler raises SoftTimeLimitExceeded
wherever the task has got to. Here the same handler and the same signal stop the
task in this process, at a known point of a large statistics file: the job's own
progress reporter sends the signal once it reports that point, so the limit falls
there, in the task's thread, every time; test_worker_imports.py lets a real worker's
limit fall."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading

import pytest
from billiard.pool import soft_timeout_sighandler
from django.conf import settings
from django.utils.translation import gettext

from apps.audit.models import AuditEvent
from apps.imports import services
from apps.imports.models import ImportJob
from apps.imports.services import (
    import_job_claim,
    import_job_create,
    import_job_dispatch,
    import_progress,
)
from apps.uploads.models import DailyTotal, DailyUpload
from tests.conftest import connect

# Transactions as a worker has them: the import's is the outermost. (A limit falling
# in the middle of a query leaves the connection unusable, so the import's rollback
# closes it, and the job is failed on a new one; inside a test's transaction that
# would break the test's.)
pytestmark = pytest.mark.django_db(transaction=True)

# A year of 300 tables of one hospital: long enough to check and store for the
# signal to fall in the middle.
DAYS, TABLES = 365, 300
STATISTICS = (
    "日期,机构代码,表代码,上传记录数,校验未通过数\n"
    + "".join(
        f"{dt.date(2023, 1, 1) + dt.timedelta(days=d)},41150000001,T{t},{d + t},0\n"
        for d in range(DAYS)
        for t in range(TABLES)
    )
).encode()


def timed_out() -> str:
    return gettext(
        "The file took longer than %(seconds)d seconds and was stopped: split it into "
        "smaller files and import them one by one."
    ) % {"seconds": settings.HIPWATCH_IMPORT_TIME_LIMIT}


@pytest.fixture
def time_limit_at(celery_in_process, monkeypatch):
    """time_limit_at(job, stage, done) makes the task's soft time limit fall once the
    job reports its progress at `stage` with at least `done` rows."""
    previous = signal.signal(signal.SIGUSR1, soft_timeout_sighandler)
    reporter = services._reporter

    def arm(job: ImportJob, stage: str, done: int = 0) -> threading.Event:
        """Returns an event set when the limit fell."""
        fired = threading.Event()

        def limited(reported: ImportJob):
            report = reporter(reported)

            def limited_report(at: str, count: int, total: int) -> None:
                report(at, count, total)
                if reported.pk == job.pk and not fired.is_set():
                    if str(at) == stage and count >= done:
                        fired.set()
                        # The handler runs here, in this thread, before the next line.
                        os.kill(os.getpid(), signal.SIGUSR1)

            return limited_report

        monkeypatch.setattr(services, "_reporter", limited)
        return fired

    yield arm
    signal.signal(signal.SIGUSR1, previous)


def statistics_job(city, users) -> ImportJob:
    connect(city.central, city.platform)
    return import_job_create(
        user=users.alice,
        kind="uploads",
        file_name="一年.csv",
        content=STATISTICS,
        platform=city.platform,
    )


def test_a_check_past_its_time_limit_fails_its_job(city, users, time_limit_at):
    job = statistics_job(city, users)
    fired = time_limit_at(job, gettext("Checking the rows"), done=10_000)
    import_job_dispatch(job=job, step="check")
    assert fired.is_set()
    job.refresh_from_db()
    assert (job.state, job.error, job.preview) == (ImportJob.State.FAILED, timed_out(), None)
    assert job.finished_at is not None and import_progress(job) is None


def test_an_import_past_its_time_limit_fails_its_job_and_writes_nothing(city, users, time_limit_at):
    job = statistics_job(city, users)
    import_job_dispatch(job=job, step="check")
    job.refresh_from_db()
    assert job.state == ImportJob.State.READY and job.preview["created"] == DAYS * TABLES
    assert import_job_claim(job=job, user=users.alice)
    fired = time_limit_at(job, gettext("Storing the rows"))
    import_job_dispatch(job=job, step="run")
    assert fired.is_set()
    job.refresh_from_db()
    assert (job.state, job.error, job.result) == (ImportJob.State.FAILED, timed_out(), None)
    assert not DailyUpload.objects.exists() and not DailyTotal.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()
