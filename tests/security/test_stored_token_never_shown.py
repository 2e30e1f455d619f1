"""A platform's interface token, once stored, is never shown again: not on its
page, in the admin, the audit log, an Excel export, an API answer, its str/repr
or a log line. Set, tested and pulled with over the real pages and loopback HTTP."""

from __future__ import annotations

import io
import logging

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.ingestion.pull import platform_pull_day, platform_pull_institutions
from apps.ingestion.simulator import Faults, Simulator
from apps.platforms.models import Platform
from tests.conftest import connect
from tests.simulated import DAY, truth

TOKEN = "n3ver-sh0wn-t0ken-0123456789"
PAGE = "/sync/platforms/city/"


def workbook_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


@pytest.fixture
def configured(city, users, client, caplog):
    """The city platform's interface set and tested on its page, then pulled."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")  # "django" stops at INFO
    connect(city.central, city.platform)
    sim = Simulator(truth(), Faults(page_size=2, retry_after=0), token=TOKEN)
    url = sim.start()
    client.force_login(users.alice)
    fields = {"api_url": url, "api_token": TOKEN, "silent_after_days": "3"}
    # Every query is logged with its parameters, as with DEBUG on.
    with CaptureQueriesContext(connection) as queries:
        assert client.post(PAGE, {"action": "test", **fields}).status_code == 200
        assert client.post(PAGE, {"action": "settings", **fields}).status_code == 302
        platform = Platform.objects.get(pk=city.platform.pk)
        assert platform_pull_day(platform=platform, day=DAY).error == ""
        assert platform_pull_institutions(platform=platform).error == ""
    assert not [q for q in queries.captured_queries if TOKEN in q["sql"]]
    yield platform
    sim.stop()


def test_the_officers_pages_exports_and_audit_log(configured, client):
    answers = {
        "page": client.get(PAGE),
        "page export": client.get(PAGE, {"export": "all"}),
        "sync log": client.get("/sync/"),
        "sync log export": client.get("/sync/", {"export": "all"}),
        "audit log": client.get("/audit/"),
        "audit export": client.get("/audit/", {"export": "xlsx"}),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        text = workbook_text(response.content) if "export" in name else response.content.decode()
        assert TOKEN not in text, name
    assert "<td" in answers["audit log"].content.decode()  # the events are listed


def test_the_admin_shows_it_nowhere_and_keeps_it_when_left_empty(configured, users, client):
    client.force_login(users.admin)
    base = f"/admin/platforms/platform/{configured.pk}"
    for url in ("/admin/platforms/platform/", f"{base}/change/", f"{base}/history/"):
        response = client.get(url)
        assert response.status_code == 200 and TOKEN not in response.content.decode(), url
    saved = client.post(
        f"{base}/change/",
        {
            "code": configured.code,
            "name": "信阳市全民健康信息平台",
            "level": configured.level,
            "api_url": configured.api_url,
            "api_token": "",
        },
    )
    assert saved.status_code == 302
    assert Platform.objects.get(pk=configured.pk).api_token == TOKEN
    history = client.get(f"{base}/history/").content.decode()
    label = str(Platform._meta.get_field("api_token").verbose_name)
    assert TOKEN not in history and label not in history  # the token did not change
    audit = client.get("/audit/").content.decode()
    assert TOKEN not in audit


def test_the_api_answers(configured, users):
    api = APIClient()
    api.force_login(users.alice)
    for url, query in (
        ("/api/v1/institutions/", {}),
        ("/api/v1/metrics/", {"platform": "city", "start": "2023-06-01", "end": "2023-06-30"}),
        ("/api/schema/", {}),
    ):
        response = api.get(url, query)
        assert response.status_code == 200, url
        assert TOKEN not in response.content.decode(), url


def test_str_repr_and_the_log(configured, caplog):
    assert TOKEN not in str(configured) and TOKEN not in repr(configured)
    logged = caplog.get_records("setup")
    assert any(r.name == "django.db.backends" for r in logged)  # the queries were logged
    assert any(r.name.startswith("urllib3") for r in logged)  # and the requests
    assert not [r for r in logged if TOKEN in r.getMessage()]
