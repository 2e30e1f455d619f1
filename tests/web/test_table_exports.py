"""Every table a page shows exports to Excel through `?export=KEY`, from the same
`Sheet` the page renders: the workbook is the table the user sees, with the page's
own scope."""

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from apps.ingestion.pull import platform_pull_day
from apps.ingestion.simulator import Faults
from tests.conftest import make_bulletin
from tests.ingestion.test_views import MORNING_AFTER, quick_retries  # noqa: F401
from tests.simulated import DAY

pytestmark = pytest.mark.django_db


def rows(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


def test_the_export_is_the_sheet_the_page_renders(client, quarter, users):
    """One object per table: the page's rows and the workbook's rows are the same."""
    url = reverse("institution-detail", args=["41152600001"])
    client.force_login(users.bob)
    history = client.get(url).context["history"]
    exported = rows(client.get(url, {"export": "status-history"}))
    assert exported[1] == tuple(str(h) for h in history.headers)
    assert [list(r) for r in exported[2:]] == [
        [dt.datetime.combine(r[0], dt.time()), *r[1:]] for r in history.rows
    ]


def test_status_history_exports_for_those_who_see_the_institution(client, quarter, users):
    url = reverse("institution-detail", args=["41152600001"])
    client.force_login(users.bob)
    exported = rows(client.get(url, {"export": "status-history"}))
    assert exported[1][:3] == ("生效日期", "原状态", "新状态")
    assert [r[2] for r in exported[2:]] == ["已联通"]
    client.force_login(users.charlie)
    assert client.get(url, {"export": "status-history"}).status_code == 404
    client.force_login(users.bob)
    assert client.get(url, {"export": "nonexistent"}).status_code == 404


def test_sync_log_exports_for_city_officers_only(client, users, platform_sim):
    platform, _sim = platform_sim(Faults(page_size=3, malformed=1, retry_after=0))
    platform_pull_day(platform=platform, day=DAY)
    with time_machine.travel(MORNING_AFTER, tick=False):
        client.force_login(users.alice)
        exported = rows(client.get(reverse("sync-log"), {"export": f"nights-{platform.code}"}))
        assert exported[1][0].date() == DAY and exported[1][1] == "已存入"
        assert len(exported) == 1 + 8  # the header, then eight nights
        client.force_login(users.bob)
        response = client.get(reverse("sync-log"), {"export": f"nights-{platform.code}"})
        assert response.status_code == 404


def test_bulletin_list_exports_what_the_user_may_see(client, officer, county, demo):
    make_bulletin(officer, demo)  # a draft: the county officer must not see it
    client.force_login(officer)
    assert [
        r[0] for r in rows(client.get(reverse("bulletin-list"), {"export": "bulletins"}))[1:]
    ] == ["信卫信息函〔2023〕4号"]
    client.force_login(county)
    assert rows(client.get(reverse("bulletin-list"), {"export": "bulletins"}))[1:] == []
