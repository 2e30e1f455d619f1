"""Real peers on loopback: an SMTP server (aiosmtpd) that keeps what it receives,
and an HTTP server standing for the WeCom and DingTalk group robots, which can be
told to fail its next requests. A small city connected to the platform, with
e-mail addresses for the named users."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import connect, upload
from tests.processes import free_port

TODAY = dt.date(2023, 6, 10)


class SmtpSink:
    """aiosmtpd handler: every message received, parsed."""

    def __init__(self):
        self.messages: list[SimpleNamespace] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",)).get_content()
        self.messages.append(
            SimpleNamespace(
                to=list(envelope.rcpt_tos),
                # The first folded line of an encoded subject is empty: a space before it.
                subject=str(message["Subject"]).strip(),
                body=body,
            )
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[SimpleNamespace]:
        return [m for m in self.messages if address in m.to]


@pytest.fixture
def smtp(settings):
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "hipwatch@example.cn"
    yield sink
    controller.stop()


class Robot:
    """What the robot received; `failures` lists how to answer the next requests
    ("http500" or "errcode"); once empty, it accepts with errcode 0."""

    def __init__(self):
        self.requests: list[SimpleNamespace] = []
        self.failures: list[str] = []
        self.url = ""


@pytest.fixture
def robot(settings):
    state = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            parts = urllib.parse.urlsplit(self.path)
            state.requests.append(
                SimpleNamespace(
                    path=parts.path,
                    query=dict(urllib.parse.parse_qsl(parts.query)),
                    json=json.loads(self.rfile.read(length)),
                )
            )
            failure = state.failures.pop(0) if state.failures else None
            if failure == "http500":
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"internal error")
                return
            answer = (
                {"errcode": 310000, "errmsg": "sign not match"}
                if failure == "errcode"
                else {"errcode": 0, "errmsg": "ok"}
            )
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.HIPWATCH_ALERTS = {**settings.HIPWATCH_ALERTS, "timeout": 5}
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def watched(city, users):
    """The three hospitals connected since 2023-01-01, uploading every day up to
    2023-06-05; the named users with e-mail addresses."""
    for inst in (city.central, city.hc_people, city.gs_people):
        connect(inst, city.platform)
    days = [dt.date(2023, 6, 1) + dt.timedelta(days=i) for i in range(5)]
    upload(
        city.platform,
        [
            (day, inst.org_code, "T1", 10)
            for day in days
            for inst in (city.central, city.hc_people, city.gs_people)
        ],
    )
    for user in (users.alice, users.bob, users.charlie, users.dana):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    return city


def upload_on(city, institution, *days: dt.date):
    upload(city.platform, [(day, institution.org_code, "T1", 5) for day in days])
