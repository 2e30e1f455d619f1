"""A platform's source chosen, tested and saved from its page by its officers:
the password and the private key write-only and never shown, audited without
them, a test that reads the first rows and writes nothing, a form saved unchanged
that changes nothing, and other regions' officers answered 404."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.ingestion.vendor import VENDOR_QUERIES, day_file
from apps.uploads.models import DailyUpload


@pytest.fixture
def page(city):
    return reverse("platform-source", args=[city.platform.code])


def form_as_browser_sends(html: str) -> dict:
    """The form's fields with the values the page rendered (radio: the checked one)."""
    data = {}
    for tag in re.findall(r"<(?:input|textarea)[^>]*>(?:[^<]*</textarea>)?", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name[1] == "csrfmiddlewaretoken":
            continue
        if 'type="radio"' in tag:
            if "checked" in tag:
                data[name[1]] = re.search(r'value="([^"]*)"', tag)[1]
            continue
        if tag.startswith("<textarea"):
            data[name[1]] = re.sub(r"^<textarea[^>]*>\n?|</textarea>$", "", tag)
        else:
            value = re.search(r'value="([^"]*)"', tag)
            data[name[1]] = value[1] if value else ""
    import html as html_module

    return {k: html_module.unescape(v) for k, v in data.items()}


def test_a_database_source_saved_its_password_never_shown_and_saved_again_unchanged(
    client, users, city, page
):
    client.force_login(users.alice)
    fields = {
        "source": "sql",
        "sql_url": "mysql+pymysql://reader@10.0.0.8:3306/platform",
        "sql_password": "pa55-word",
        "sql_timeout": "120",
        **{f"query_{k}": q for k, q in VENDOR_QUERIES.items()},
    }
    response = client.post(page, {"action": "save", **fields})
    assert response.status_code == 302
    city.platform.refresh_from_db()
    assert city.platform.source == "sql" and city.platform.sql_password == "pa55-word"
    assert city.platform.sql_queries == VENDOR_QUERIES and city.platform.sql_timeout == 120
    html = client.get(page).content.decode()
    assert "pa55-word" not in html and "10.0.0.8" in html
    event = AuditEvent.objects.get(action=AuditEvent.Action.REGISTRY_CHANGED)
    assert "pa55-word" not in str(event.details) and event.details["sql_password"] == "修改"
    # The page's form submitted as the browser sends it changes nothing.
    again = form_as_browser_sends(html)
    assert again["sql_password"] == "" and again["source"] == "sql"
    client.post(page, {"action": "save", **again})
    city.platform.refresh_from_db()
    assert city.platform.sql_password == "pa55-word"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRY_CHANGED).count() == 1


def test_bad_settings_are_refused_each_with_its_reason(client, users, city, page):
    client.force_login(users.alice)
    html = client.post(
        page,
        {
            "action": "save",
            "source": "sql",
            "sql_url": "mysql+pymysql://reader:secret@h/db",
            "sql_timeout": "300",
            "query_uploads": "DELETE FROM sjsc_rz",
        },
    ).content.decode()
    assert "地址中不要包含密码" in html and "查询必须是一条 SELECT 语句" in html
    city.platform.refresh_from_db()
    assert city.platform.source == "http"


def test_a_folder_tested_shows_its_first_rows_and_writes_nothing(
    client, users, city, page, tmp_path
):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    rows = [
        {"org_code": "41150000001", "table_code": "T1", "records": 12, "rejected": 0},
        {"org_code": "41150000001", "table_code": "T2", "records": -1, "rejected": 0},
    ]
    (tmp_path / f"uploads-{yesterday}.csv").write_bytes(day_file("uploads", yesterday, rows))
    (tmp_path / f"uploads-{yesterday}.csv.ok").write_bytes(b"")
    (tmp_path / "readme.txt").write_text("?")
    client.force_login(users.alice)
    html = client.post(
        page,
        {
            "action": "test",
            "source": "files",
            "files_location": str(tmp_path),
            "sql_timeout": "300",
        },
    ).content.decode()
    assert f"uploads-{yesterday}.csv" in html and "readme.txt" in html
    assert "records 不是 0 或正整数" in html
    assert not DailyUpload.objects.exists()
    city.platform.refresh_from_db()
    assert city.platform.source == "http"  # a test saves nothing
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PLATFORM_TESTED).count() == 1


def test_other_regions_and_roles_get_404(client, users, city, page):
    for user in (users.bob, users.dana):
        client.force_login(user)
        assert client.get(page).status_code in (403, 404)
        assert client.post(page, {"action": "save", "source": "files"}).status_code in (403, 404)
    city.platform.refresh_from_db()
    assert city.platform.source == "http"
