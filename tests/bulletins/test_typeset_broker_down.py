"""A publication whose typesetting cannot be handed to a worker (the broker is
unreachable) typesets the PDF in the publishing process: published, with its PDF,
without waiting on Redis (apps.bulletins.services.bulletin_typeset_send)."""

import socket
import time

import pytest

from apps.bulletins.models import Bulletin
from apps.bulletins.services import bulletin_publish
from config.celery_app import app

pytestmark = pytest.mark.django_db


def _connections_closed() -> None:
    """Celery's connection pool closed, and the producer pool made from it dropped
    (`app.close()` keeps the latter: a test that published before would have this
    one publish into its broker)."""
    app.close()
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Celery sending for real (not eagerly) to a Redis port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The app reads Django's settings under the CELERY_ namespace: its keys are those.
    keys = ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER")
    saved = {key: app.conf[key] for key in keys}
    _connections_closed()  # no pooled connection to the real broker is reused
    app.conf.update(CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0", CELERY_TASK_ALWAYS_EAGER=False)
    assert not app.conf.task_always_eager
    yield
    _connections_closed()  # nor one to the dead port afterwards
    app.conf.update(saved)


def test_the_pdf_is_typeset_here_when_the_broker_is_down(
    draft, officer, broker_down, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        bulletin_publish(bulletin=draft, user=officer)
    assert time.monotonic() - started < 30  # the send gives up within seconds
    published = Bulletin.objects.get(pk=draft.pk)
    assert published.status == Bulletin.Status.PUBLISHED
    assert published.pdf is not None and bytes(published.pdf[:5]) == b"%PDF-"
    assert published.pdf_progress == 100 and not published.pdf_error
