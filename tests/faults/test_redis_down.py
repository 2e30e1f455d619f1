"""Redis stops while the portal serves: the pages still answer (none needs Redis), a
backfill started from the platform page is recorded and the officer told it will be
sent when the queue is back, within seconds; once Redis is back,
requeue_stalled_backfills sends it and a worker pulls the days.

The machine's Redis is shared: the portal, the worker and the requeue here use a
redis-server of the test's own, on its own port, which the test kills and restarts."""

import subprocess
import sys
import time

import pytest
from django.urls import reverse

from apps.ingestion.models import Backfill
from apps.ingestion.simulator import Faults
from tests.processes import needs_database_server
from tests.simulated import expected, stored

from .servers import ROOT, Process, Redis, Web, child_env, csrf_token, wait_for

pytestmark = [needs_database_server, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_server(tmp_path):
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def web(tmp_path, redis_server):
    server = Web(tmp_path, REDIS_URL=redis_server.url)
    yield server
    server.stop()


def pages(city):
    return [
        reverse("home"),
        reverse("dashboard"),
        reverse("institution-list"),
        reverse("institution-detail", args=[city.central.org_code]),
        reverse("sync-log"),
        reverse("platform-sync", args=[city.platform.code]),
        "/api/v1/institutions/",
    ]


def test_pages_answer_and_a_backfill_waits_for_redis(
    city, users, platform_sim, redis_server, web, tmp_path
):
    platform, sim = platform_sim(Faults(page_size=2, retry_after=0))
    browser = web.session_of(users.alice)
    for url in pages(city):
        assert browser.get(web.url + url, timeout=30).status_code == 200, url

    redis_server.kill()
    for url in pages(city):
        assert browser.get(web.url + url, timeout=30).status_code == 200, url

    sync_url = web.url + reverse("platform-sync", args=[platform.code])
    form = browser.get(sync_url, timeout=30).text
    started = time.monotonic()
    response = browser.post(
        sync_url,
        {
            "csrfmiddlewaretoken": csrf_token(form),
            "first_day": "2023-06-29",
            "last_day": "2023-06-30",
        },
        timeout=60,
    )
    assert time.monotonic() - started < 10  # no long wait on a broker that is gone
    assert response.status_code == 200 and response.history[0].status_code == 302
    assert "alert-warning" in response.text  # the queue is down: it will be sent later
    backfill = Backfill.objects.get()
    assert backfill.state == Backfill.State.QUEUED

    # Redis is back; the beat task sends what waited (at once here), a worker pulls it.
    redis_server.start()
    env = child_env(REDIS_URL=redis_server.url, PULL_REQUEUE_AFTER="0")
    requeue = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from apps.ingestion.tasks import requeue_stalled_backfills as t; print(t())",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert requeue.stdout.strip().endswith("1"), requeue.stderr
    worker = Process(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
        env,
        tmp_path / "worker.log",
    )
    try:
        wait_for(lambda: Backfill.objects.get(pk=backfill.pk).finished, timeout=90, what="backfill")
    finally:
        worker.stop()
    backfill.refresh_from_db()
    assert (backfill.state, backfill.days_done) == (Backfill.State.DONE, 2)
    assert stored(platform) == expected(sim)


def test_with_redis_up_the_backfill_is_handed_over_at_once(
    city, users, platform_sim, redis_server, web
):
    """The other side of the warning: the page says so only when the queue is down."""
    platform, _sim = platform_sim()
    browser = web.session_of(users.alice)
    sync_url = web.url + reverse("platform-sync", args=[platform.code])
    form = browser.get(sync_url, timeout=30).text
    response = browser.post(
        sync_url,
        {
            "csrfmiddlewaretoken": csrf_token(form),
            "first_day": "2023-06-30",
            "last_day": "2023-06-30",
        },
        timeout=30,
    )
    assert response.status_code == 200
    assert "alert-warning" not in response.text and "alert-success" in response.text
    import redis

    waiting = redis.Redis(port=redis_server.port).llen("celery")
    assert waiting == 1  # the run_backfill task, for a worker to take


def test_bob_cannot_start_a_backfill_even_with_redis_down(
    city, users, platform_sim, redis_server, web
):
    platform, _sim = platform_sim()
    redis_server.kill()
    browser = web.session_of(users.bob)
    sync_url = web.url + reverse("platform-sync", args=[platform.code])
    assert browser.get(sync_url, timeout=30).status_code == 404
    token = csrf_token(browser.get(web.url + reverse("login"), timeout=30).text)
    response = browser.post(
        sync_url,
        {"csrfmiddlewaretoken": token, "first_day": "2023-06-30", "last_day": "2023-06-30"},
        timeout=30,
    )
    assert response.status_code == 404
    assert not Backfill.objects.exists()
