"""Words a newcomer met: a one-day gap says so, a bad parameter is one warning line
in the log (not a traceback), the menu comes in groups, and the API's description
speaks Chinese."""

import datetime as dt
import logging

import pytest
import yaml

from apps.metrics.figures import InstitutionFigures
from apps.web.standing import fix_first

pytestmark = pytest.mark.django_db


def test_a_one_day_gap_is_one_day(city):
    row = InstitutionFigures.__new__(InstitutionFigures)
    row.longest_gap = 1
    day = dt.date(2023, 10, 13)
    items = fix_first(row=row, tables=[], adoption={}, connected_peers=0, gap=(day, day))
    assert [i.text for i in items] == ["2023-10-13 连续1天无上传数据，请排查原因。"]


def test_a_bad_parameter_is_one_warning_line(client, users, caplog):
    client.force_login(users.alice)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/institutions/?period=9999Q1")
    assert response.status_code == 400
    from apps.core.logs import OneLineBadRequests

    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    OneLineBadRequests().filter(records[0])
    assert records[0].exc_info is None
    assert "9999" in records[0].getMessage() or "/institutions/" in records[0].getMessage()


def test_the_menu_comes_in_groups(client, users):
    client.force_login(users.alice)
    html = client.get("/help/").content.decode()
    for group in ("menu-data", "menu-work", "menu-admin"):
        assert f'id="{group}"' in html
    assert html.count('class="nav-item"') + html.count('class="nav-item dropdown"') <= 8
    client.force_login(users.dana)  # hospital staff: no administration
    assert 'id="menu-admin"' not in client.get("/help/").content.decode()


def test_the_api_description_speaks_chinese(client, users):
    client.force_login(users.alice)
    schema = yaml.safe_load(client.get("/api/schema/").content)
    params = schema["paths"]["/api/v1/metrics/"]["get"]["parameters"]
    start = next(p for p in params if p["name"] == "start")
    assert not start["description"].isascii()
