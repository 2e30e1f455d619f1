"""Tables a page renders itself export to Excel through `?export_table=ID`: the
workbook is the table the user sees, with the page's own scope."""

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from apps.core.html_tables import sheet_from_html
from apps.ingestion.services import platform_pull_day
from apps.ingestion.simulator import Faults
from tests.conftest import make_bulletin
from tests.simulated import DAY
from tests.web.test_sync_pages import MORNING_AFTER, quick_retries  # noqa: F401

pytestmark = pytest.mark.django_db


def rows(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


def test_a_table_is_read_cell_for_cell_with_figures_as_numbers():
    html = """<table id="t" data-title="Runs"><thead><tr><th>Day</th><th>Rows</th><th>Rate</th>
    <th>Note</th></tr></thead><tbody>
    <tr><td>2023-06-30</td><td class="text-end">12,345</td><td>85.0</td><td><a href="#">=1+1</a>
    <button>x</button></td></tr>
    <tr><td>2023-06-29</td><td colspan="3">Not pulled</td></tr>
    </tbody></table><table id="other"><tr><td>no</td></tr></table>"""
    sheet = sheet_from_html(html, "t")
    assert sheet.title == "Runs" and sheet.headers == ["Day", "Rows", "Rate", "Note"]
    assert sheet.rows == [
        [dt.date(2023, 6, 30), 12345, 85.0, "=1+1"],
        [dt.date(2023, 6, 29), "Not pulled", None, None],
    ]
    assert sheet_from_html(html, "missing") is None


def test_status_history_exports_for_those_who_see_the_institution(client, quarter, users):
    url = reverse("institution-detail", args=["41152600001"])
    client.force_login(users.bob)
    exported = rows(client.get(url, {"export_table": "status-history"}))
    assert exported[0][:3] == ("生效日期", "原状态", "新状态")
    assert [r[2] for r in exported[1:]] == ["已联通"]
    client.force_login(users.charlie)
    assert client.get(url, {"export_table": "status-history"}).status_code == 404
    client.force_login(users.bob)
    assert client.get(url, {"export_table": "nonexistent"}).status_code == 404


def test_sync_log_exports_for_city_officers_only(client, users, platform_sim):
    platform, _sim = platform_sim(Faults(page_size=3, malformed=1, retry_after=0))
    platform_pull_day(platform=platform, day=DAY)
    with time_machine.travel(MORNING_AFTER, tick=False):
        client.force_login(users.alice)
        exported = rows(
            client.get(reverse("sync-log"), {"export_table": f"nights-{platform.code}"})
        )
        assert exported[1][0].date() == DAY and exported[1][1] == "已存入"
        assert len(exported) == 1 + 8  # the header, then eight nights
        client.force_login(users.bob)
        response = client.get(reverse("sync-log"), {"export_table": f"nights-{platform.code}"})
        assert response.status_code == 404


def test_bulletin_list_exports_what_the_user_may_see(client, officer, county, demo):
    make_bulletin(officer, demo)  # a draft: the county officer must not see it
    client.force_login(officer)
    assert [
        r[0] for r in rows(client.get(reverse("bulletin-list"), {"export_table": "bulletins"}))[1:]
    ] == ["信卫信息函〔2023〕4号"]
    client.force_login(county)
    assert rows(client.get(reverse("bulletin-list"), {"export_table": "bulletins"}))[1:] == []
