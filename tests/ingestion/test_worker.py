"""A real Celery worker process takes a pull task from Redis and stores the rows.
Runs where CI runs it: against the local Redis and PostgreSQL (a worker process
cannot share the in-memory SQLite database of the SQLite run)."""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from apps.ingestion.models import Backfill, SyncRun
from apps.ingestion.simulator import Faults, Simulator
from apps.ingestion.tasks import pull_platform_day
from config.celery_app import app as celery_app
from tests.processes import database_url, needs_database_server
from tests.simulated import DAY, expected, stored, truth

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL)"),
    needs_database_server,
    pytest.mark.django_db(transaction=True),
]


def start_worker(queue):
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            "-Q",
            queue,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process


def stop_worker(process):
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    # On failure, pytest shows what the worker said.
    print(output)


@pytest.fixture
def worker():
    """A worker process on a queue of its own, on the test database."""
    queue = f"test-{uuid.uuid4().hex}"
    process = start_worker(queue)
    yield queue
    stop_worker(process)


@pytest.fixture
def default_worker():
    """A worker on the default queue (what the portal's pages send to), emptied
    first: Redis database 15 belongs to the tests."""
    celery_app.control.purge()
    process = start_worker("celery")
    yield
    stop_worker(process)


def test_a_worker_process_takes_a_pull_from_redis_and_stores_it(city, worker):
    sim = Simulator(truth(), Faults(page_size=2, retry_after=0, throttle=1), token="tok")
    try:
        city.platform.api_url = sim.start()
        city.platform.api_token = "tok"
        city.platform.save()
        result = pull_platform_day.apply_async(
            args=[city.platform.pk, DAY.isoformat(), SyncRun.Trigger.COMMAND], queue=worker
        )
        run_id = result.get(timeout=120)
    finally:
        sim.stop()
    run = SyncRun.objects.get(pk=run_id)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert run.pages == 3
    assert stored(city.platform) == expected(sim)
    assert sim.requests >= 4  # the 429 was retried, by the worker


def test_a_backfill_started_from_the_page_runs_on_a_worker(
    client, users, platform_sim, default_worker
):
    platform, sim = platform_sim(Faults(page_size=2, retry_after=0))
    client.force_login(users.alice)
    url = reverse("platform-sync", args=[platform.code])
    response = client.post(url, {"first_day": "2023-06-29", "last_day": "2023-06-30"})
    assert response.status_code == 302
    backfill = Backfill.objects.get()
    for _ in range(600):
        backfill.refresh_from_db()
        if backfill.finished:
            break
        time.sleep(0.1)
    assert (backfill.state, backfill.days_done, backfill.days_total) == ("done", 2, 2)
    assert stored(platform) == expected(sim)
    page = client.get(url).content.decode()
    assert "100%" in page


def test_a_backfill_whose_worker_is_killed_is_marked_interrupted_and_resumes(
    client, users, platform_sim
):
    """The worker dies mid-backfill (SIGKILL: no chance to say so). The beat's
    check marks the backfill interrupted once it made no progress for a while; the
    officer resumes it from the page and a new worker pulls the days left."""
    from django.utils import timezone

    from apps.ingestion.backfills import backfills_mark_interrupted

    platform, sim = platform_sim(Faults(page_size=2, retry_after=0, slow=0.2))
    celery_app.control.purge()
    process = start_worker("celery")
    client.force_login(users.alice)
    url = reverse("platform-sync", args=[platform.code])
    client.post(url, {"first_day": "2023-06-21", "last_day": "2023-06-30"})
    backfill = Backfill.objects.get()
    try:
        for _ in range(600):
            backfill.refresh_from_db()
            if backfill.days_done >= 2:
                break
            time.sleep(0.1)
    finally:
        process.kill()  # no goodbye: the worker is gone mid-day
        process.communicate()
    backfill.refresh_from_db()
    assert backfill.state == "running" and 2 <= backfill.days_done < 10
    # Fresh progress is no sign of a lost worker; half an hour of none is.
    assert backfills_mark_interrupted() == 0
    later = timezone.now() + dt.timedelta(
        seconds=settings.HIPWATCH_PULL["backfill_stalled_after"] + 1
    )
    assert backfills_mark_interrupted(now=later) == 1
    backfill.refresh_from_db()
    assert backfill.state == "interrupted" and backfill.finished
    assert "继续" in client.get(url).content.decode()

    process = start_worker("celery")
    try:
        response = client.post(url, {"action": "restart", "backfill": backfill.pk})
        assert response.status_code == 302
        for _ in range(900):
            backfill.refresh_from_db()
            if backfill.state == "done":
                break
            time.sleep(0.1)
    finally:
        stop_worker(process)
    assert (backfill.state, backfill.days_done, backfill.days_total) == ("done", 10, 10)
    # It resumed: the days pulled before the kill were not asked for again.
    days_asked = {
        r.day for r in SyncRun.objects.filter(backfill=backfill, kind=SyncRun.Kind.UPLOADS)
    }
    assert len(days_asked) == 10
    assert SyncRun.objects.filter(backfill=backfill, kind=SyncRun.Kind.UPLOADS).count() <= 11
    assert stored(platform) == expected(sim)


def test_a_platform_whose_pulls_hang_holds_only_its_own_worker(city, settings):
    """One queue per platform (HIPWATCH_QUEUE_PER_PLATFORM): two workers, the
    default queue with the healthy platform's, and the hanging platform's queue
    alone. The hanging platform (every answer 3 s late) holds its worker; the
    other's night — institutions, quality rules, yesterday and the seven days before,
    three kinds each — finishes meanwhile."""
    from apps.ingestion.tasks import pull_all_platforms
    from tests.factories import PlatformFactory

    settings.HIPWATCH_QUEUE_PER_PLATFORM = True
    hanging_sim = Simulator(truth(), Faults(slow=3), token="tok")
    healthy_sim = Simulator(truth(), Faults(), token="tok")
    hanging = PlatformFactory(
        code="hanging", region=city.city, api_url=hanging_sim.start(), api_token="tok"
    )
    healthy = PlatformFactory(
        code="healthy", region=city.city, api_url=healthy_sim.start(), api_token="tok"
    )
    celery_app.control.purge()
    workers = [
        start_worker(f"celery,pull-{healthy.pk}"),
        start_worker(f"pull-{hanging.pk}"),
    ]
    night = 2 + 3 * (settings.HIPWATCH_PULL["revisit_days"] + 1)
    try:
        assert pull_all_platforms() == 2
        for _ in range(600):
            done = SyncRun.objects.filter(platform=healthy, finished_at__isnull=False).count()
            if done == night:
                break
            time.sleep(0.1)
        assert done == night  # the healthy platform's whole night
        hanging_done = SyncRun.objects.filter(platform=hanging, finished_at__isnull=False)
        assert hanging_done.count() < 5  # still on its first answers
        # being pulled meanwhile, on its own worker: a run started, not finished
        assert SyncRun.objects.filter(platform=hanging, finished_at__isnull=True).exists()
    finally:
        workers[1].kill()  # hung: no warm shutdown
        workers[1].communicate()
        stop_worker(workers[0])
        hanging_sim.stop()
        healthy_sim.stop()
