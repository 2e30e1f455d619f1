"""The configuration for more than one machine (docs/scaling.md): the pulls of a
platform on its own queue, and the pages' reads on a replica, both off by default."""

import pytest
from django.db import transaction

from apps.core.routing import ReplicaRouter, route_task
from apps.uploads.models import DailyUpload
from config.celery_app import app


def test_pulls_go_to_their_platform_queue_only_when_asked(settings):
    name = "apps.ingestion.tasks.pull_platform_night"
    assert route_task(name, (7,), {}, {}) is None
    settings.HIPWATCH_QUEUE_PER_PLATFORM = True
    assert route_task(name, (7,), {}, {}) == {"queue": "pull-7"}
    assert route_task("apps.ingestion.tasks.pull_platform_day", (), {"platform_id": 3}, {}) == {
        "queue": "pull-3"
    }
    assert route_task("apps.alerts.tasks.evaluate_alerts", (), {}, {}) is None
    # Celery's own router asks it: the queue a task is sent to.
    routed = app.amqp.router.route({}, name, args=(7,))
    assert routed["queue"].name == "pull-7"


@pytest.mark.django_db(transaction=True)
def test_a_requests_reads_go_where_it_was_sent_but_inside_a_transaction_and_writes_never():
    from apps.core.routing import _reads

    router = ReplicaRouter()
    assert router.db_for_read(DailyUpload) == "default"  # a worker, a command
    token = _reads.set("replica")  # a page sent to the replica (ReplicaMiddleware)
    try:
        assert router.db_for_read(DailyUpload) == "replica"
        with transaction.atomic():
            assert router.db_for_read(DailyUpload) == "default"
    finally:
        _reads.reset(token)
    assert router.db_for_write(DailyUpload) == "default"
    assert router.allow_migrate("replica", "uploads") is False
    assert router.allow_migrate("default", "uploads") is True
