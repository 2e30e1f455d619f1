"""A worker killed in the middle of a day's pull: nothing of the day is stored, the
task (acknowledged late) goes back to Redis and another worker finishes the day
without anyone starting it again; the stored rows are the platform's exactly, and
the killed run is marked interrupted instead of running for ever."""

import datetime as dt
import sys
import uuid

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from apps.ingestion.models import PulledDay, SyncRun
from apps.ingestion.pull import platform_pull_day
from apps.ingestion.simulator import Faults
from apps.ingestion.tasks import pull_platform_day
from apps.uploads.models import DailyUpload
from tests.processes import needs_database_server
from tests.simulated import DAY, assert_rollups_match, expected, stored

from .servers import Process, child_env, wait_for

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL)")


def start_worker(queue, log, **env):
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", queue]
    return Process(args, child_env(REDIS_URL=settings.REDIS_URL, **env), log)


@needs_redis
@needs_database_server
@pytest.mark.django_db(transaction=True)
def test_a_pull_whose_worker_is_killed_is_finished_by_another_worker(platform_sim, tmp_path):
    # Five pages, slowly: the worker is killed while it reads them.
    platform, sim = platform_sim(Faults(page_size=1, slow=0.5, retry_after=0))
    queue = f"test-{uuid.uuid4().hex}"
    # Redis hands an unacknowledged task out again after 2 s (an hour in production);
    # a run older than 1 s that is still "running" lost its worker.
    env = {"CELERY_VISIBILITY_TIMEOUT": "2", "PULL_RUN_STALE_AFTER": "1"}
    first = start_worker(queue, tmp_path / "first.log", **env)
    second = None
    try:
        pull_platform_day.apply_async(
            args=[platform.pk, DAY.isoformat(), SyncRun.Trigger.COMMAND], queue=queue
        )
        wait_for(lambda: sim.requests >= 2, timeout=60, what="the first pages")
        first.kill()
        requests_when_killed = sim.requests

        killed = SyncRun.objects.get(platform=platform, day=DAY)
        assert killed.outcome == SyncRun.Outcome.RUNNING
        assert stored(platform) == []  # all pages or nothing
        assert not PulledDay.objects.filter(platform=platform, day=DAY).exists()

        second = start_worker(queue, tmp_path / "second.log", **env)
        wait_for(
            lambda: SyncRun.objects.filter(day=DAY, outcome=SyncRun.Outcome.SUCCESS).exists(),
            timeout=90,
            what="the redelivered pull",
        )
    finally:
        first.stop()
        if second:
            second.stop()
    assert sim.requests >= requests_when_killed + 5  # the day was read again, whole
    assert stored(platform) == expected(sim)
    assert DailyUpload.objects.filter(platform=platform, day=DAY).count() == len(expected(sim))
    assert_rollups_match(platform)
    killed.refresh_from_db()
    assert killed.outcome == SyncRun.Outcome.FAILED
    assert killed.finished_at is not None and killed.error
    assert SyncRun.objects.filter(platform=platform, day=DAY).count() == 2


@pytest.mark.django_db
def test_the_next_pull_of_a_day_marks_a_run_left_running_as_interrupted(
    platform_sim, celery_in_process
):
    platform, sim = platform_sim()
    with time_machine.travel(timezone.now() - dt.timedelta(hours=2)):
        lost = SyncRun.objects.create(
            platform=platform, kind=SyncRun.Kind.UPLOADS, day=DAY, trigger="schedule"
        )
    recent = SyncRun.objects.create(
        platform=platform, kind=SyncRun.Kind.UPLOADS, day=DAY - dt.timedelta(days=1), trigger="x"
    )
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.outcome == SyncRun.Outcome.FAILED and lost.finished_at
    assert recent.outcome == SyncRun.Outcome.RUNNING  # another day: not this pull's business
    assert stored(platform) == expected(sim)


@pytest.mark.django_db
def test_a_run_still_within_the_time_a_pull_may_take_is_left_running(platform_sim):
    platform, _sim = platform_sim()
    ongoing = SyncRun.objects.create(
        platform=platform, kind=SyncRun.Kind.UPLOADS, day=DAY, trigger="schedule"
    )
    platform_pull_day(platform=platform, day=DAY)
    ongoing.refresh_from_db()
    assert ongoing.outcome == SyncRun.Outcome.RUNNING
