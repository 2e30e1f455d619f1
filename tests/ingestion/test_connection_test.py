"""A platform's interface on its page, as a security review left it: the stored
token goes only to the stored address (neither a test nor a save points it
elsewhere), every failure of a test reads the same (the test is no port scanner
of internal hosts), and every test is audited without the token."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext

from apps.alerts.services import silent_after_days
from apps.audit.models import AuditEvent
from apps.ingestion.simulator import Faults, Simulator
from apps.platforms.models import Platform
from tests.processes import free_port
from tests.simulated import truth

SAVED_TOKEN = "saved-t0ken-never-leaves"
TYPED_TOKEN = "typed-t0ken"
TOKEN_NEEDED = (
    "Type the token for this address: the stored token is only sent to the stored interface URL."
)


class RecordingServer:
    """A loopback server answering every GET with `status` and `body`, and keeping
    the Authorization header of each request it received."""

    def __init__(self, status: int = 200, body: object = None):
        self.status, self.body = status, body if body is not None else {"error": "no"}
        self.authorizations: list[str | None] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                recorder.authorizations.append(self.headers.get("Authorization"))
                data = json.dumps(recorder.body).encode()
                self.send_response(recorder.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers():
    started: list[RecordingServer] = []

    def start(status: int = 200, body: object = None) -> RecordingServer:
        started.append(RecordingServer(status, body))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def saved(city):
    """The city platform with a saved interface (a simulator that knows only the
    saved token)."""
    simulator = Simulator(truth(), Faults(page_size=2, retry_after=0), token=SAVED_TOKEN)
    city.platform.api_url = simulator.start()
    city.platform.api_token = SAVED_TOKEN
    city.platform.save()
    yield city.platform
    simulator.stop()


@pytest.fixture
def officer(client, users):
    client.force_login(users.alice)
    return client


def ask(platform, url, api_token, client):
    return client.post(
        reverse("platform-sync", args=[platform.code]),
        {"action": "test", "api_url": url, "api_token": api_token, "silent_after_days": "3"},
    ).content.decode()


def shown(html: str) -> str:
    """The test's result as the page shows it."""
    return html.split('id="connection-test">', 1)[1].split("</div>", 1)[0].strip()


def test_another_address_without_a_typed_token_sends_nothing(officer, saved, servers):
    steal = servers()
    html = ask(saved, f"{steal.url}/steal", "", officer)
    assert steal.authorizations == []  # not a single request reached it
    assert escape(gettext(TOKEN_NEEDED)) in html
    assert 'id="connection-test"' not in html and SAVED_TOKEN not in html
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PLATFORM_TESTED).exists()


def test_another_address_gets_the_typed_token_not_the_saved_one(officer, saved, servers):
    other = servers(200, Simulator(truth()).institutions_page(1))
    html = ask(saved, f"{other.url}/", TYPED_TOKEN, officer)
    assert other.authorizations == [f"Bearer {TYPED_TOKEN}"]
    assert "平台已响应：3 家机构" in html


def test_the_saved_address_uses_the_saved_token_however_it_is_written(officer, saved):
    html = ask(saved, f"{saved.api_url}/", "", officer)
    assert 'id="connection-test"' in html and "alert-success" in html


def test_a_closed_port_a_silent_one_and_http_errors_read_alike(officer, saved, servers, settings):
    settings.HIPWATCH_PULL = {**settings.HIPWATCH_PULL, "read_timeout": 0.5}
    messages = set()
    refusing = [servers(status) for status in (401, 403, 404, 500)]
    malformed = servers(200, {"items": "not a list"})
    for server in [*refusing, malformed]:
        html = ask(saved, server.url, TYPED_TOKEN, officer)
        messages.add(shown(html))
        assert server.authorizations  # it was asked
    closed = f"http://127.0.0.1:{free_port()}"
    messages.add(shown(ask(saved, closed, TYPED_TOKEN, officer)))
    with socket.create_server(("127.0.0.1", 0)) as silent:  # connects, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        messages.add(shown(ask(saved, url, TYPED_TOKEN, officer)))
    assert messages == {escape(gettext("The platform did not answer as expected."))}


def test_every_test_is_audited_without_the_token(officer, users, saved, servers):
    refusing = servers(403)
    ask(saved, saved.api_url, "", officer)
    ask(saved, refusing.url, TYPED_TOKEN, officer)
    events = AuditEvent.objects.filter(action=AuditEvent.Action.PLATFORM_TESTED).order_by("id")
    assert [(e.actor, e.region, e.object_id, e.details) for e in events] == [
        (users.alice, saved.region, str(saved.pk), {"api_url": saved.api_url, "answered": True}),
        (users.alice, saved.region, str(saved.pk), {"api_url": refusing.url, "answered": False}),
    ]
    for event in events:
        row = AuditEvent.objects.filter(pk=event.pk).values().get()
        assert SAVED_TOKEN not in str(row) and TYPED_TOKEN not in str(row)


def test_saving_another_address_needs_its_token_too(officer, users, client, saved, servers):
    """Else the next pull would carry the stored token there."""
    steal = servers()
    page = reverse("platform-sync", args=[saved.code])
    fields = {"action": "settings", "api_url": steal.url, "silent_after_days": "9"}
    html = officer.post(page, {**fields, "api_token": ""}).content.decode()
    assert escape(gettext(TOKEN_NEEDED)) in html
    kept = Platform.objects.get(pk=saved.pk)
    assert (kept.api_url, kept.api_token) == (saved.api_url, SAVED_TOKEN)
    assert silent_after_days(kept) == 3
    assert officer.post(page, {**fields, "api_token": TYPED_TOKEN}).status_code == 302
    moved = Platform.objects.get(pk=saved.pk)
    assert (moved.api_url, moved.api_token) == (steal.url, TYPED_TOKEN)
    # The admin keeps to the same rule.
    client.force_login(users.admin)
    change = f"/admin/platforms/platform/{saved.pk}/change/"
    form = {"code": saved.code, "name": saved.name, "level": saved.level, "api_token": ""}
    refused = client.post(change, {**form, "api_url": "https://elsewhere.example/api"})
    assert refused.status_code == 200 and escape(gettext(TOKEN_NEEDED)) in refused.content.decode()
    assert Platform.objects.get(pk=saved.pk).api_url == steal.url
    assert client.post(change, {**form, "api_url": f"{steal.url}/"}).status_code == 302
    assert Platform.objects.get(pk=saved.pk).api_token == TYPED_TOKEN  # the same address
    assert steal.authorizations == []
