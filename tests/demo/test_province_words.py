"""The province's own words on the provincial demo (Jiangsu, statistics 1 March –
30 April 2016): it opens on 2016年第二季度 截至2016年4月30日, no unit is interrupted
by the days after its data ends, its units are ranked among the province's 25 (第n名
（共25家单位）), the report heads them 单位名称, and no unit is told to upload a table
that no unit of the province uploads."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import call_command

from apps.accounts.models import User
from apps.institutions.models import Institution
from apps.metrics.figures import period_figures
from apps.platforms.models import Platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def province(client):
    call_command("load_demo", province=True, stdout=io.StringIO())
    client.force_login(User.objects.get(username="jiangsu"))
    return Platform.objects.get(code="jiangsu")


def test_it_opens_on_the_quarter_of_its_data_day(client, province):
    page = client.get("/")
    assert page.context["nav"].period.key == "2016Q2"
    assert "2016年第二季度（截至2016年4月30日）" in page.content.decode()


def test_no_unit_is_interrupted_by_the_days_after_the_data(province):
    figures = period_figures(
        institutions=Institution.objects.all(),
        platform=province,
        start=dt.date(2016, 4, 1),
        end=dt.date(2016, 6, 30),
    )
    assert figures.through == dt.date(2016, 4, 30)
    connected = [r for r in figures.rows if r.interruption_days is not None]
    assert len(connected) == 25
    # Counted to 30 April: 30 days at most, and each unit's days without data are
    # exactly April's days it did not send.
    for row in connected:
        assert row.interruption_days == 30 - row.upload_days, row.name


def test_units_are_ranked_among_the_provinces_units(client, province):
    unit = Institution.objects.get(name="宿迁市全民健康信息平台")
    page = client.get(f"/institutions/{unit.org_code}/?platform=jiangsu&period=2016Q2")
    standing = page.context["standing"]
    assert standing.units and standing.of == 25
    html = page.content.decode()
    assert "全省排名" in html and "全市排名" not in html
    assert f"第{standing.rank}名（共25家单位）" in html
    # Among the city platforms alone: 13 of them.
    assert f"第{standing.category_rank}名（共13家单位）" in html
    for item in page.context["fixes"]:
        if item.kind == "table":  # never a table nobody in the province uploads
            assert "全省" in item.text and "中已有 0 家上传" not in item.text


def test_the_report_heads_its_units_as_units(client, province):
    response = client.get("/reports/?platform=jiangsu&period=2016Q2&export=report")
    headers = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)[1]
    assert headers[1] == "单位名称"
