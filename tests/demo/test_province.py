"""The provincial demo (`load_demo --province`) gives back the Jiangsu newsletter's
two tables through the report in the shipped Jiangsu layout: units by volume, their
upload days, uploaded visits and discharges and every rate as printed."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.accounts.models import User
from apps.demo.province import DATA, PERIOD_KEY
from apps.reports.models import ReportLayout

pytestmark = pytest.mark.django_db


def newsletter(kind):
    with open(DATA / "jiangsu-2016.csv", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["kind"] == kind]


def table(client, category):
    layout = ReportLayout.objects.get(name="省平台数据上传情况（江苏简报样式）")
    response = client.get(
        reverse("report"),
        {
            "platform": "jiangsu",
            "period": PERIOD_KEY,
            "layout": layout.pk,
            "category": category,
            "export": "report",
        },
    )
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    return rows[1], rows[2:-1], rows[-1]


def as_printed(value):
    return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else None


def test_the_province_demo_gives_back_the_newsletter_tables(client):
    out = io.StringIO()
    call_command("load_demo", province=True, stdout=out)
    assert "jiangsu" in out.getvalue()
    officer = User.objects.get(username="jiangsu")
    assert officer.role == "province"
    client.force_login(officer)

    headers, rows, total = table(client, "区域平台")
    expected = newsletter("city")
    assert [r[1] for r in rows] == [f"{e['name']}全民健康信息平台" for e in expected]
    for row, e in zip(rows, expected, strict=True):
        assert row[2:4] == (int(e["records"]), int(e["days"])), e["name"]
        assert row[4] == int(e["outpatient_visits"]) and row[6] == int(e["discharges"])
        assert as_printed(row[5]) == Decimal(e["outpatient_rate"]), e["name"]
        assert as_printed(row[7]) == Decimal(e["discharge_rate"]), e["name"]
        assert [as_printed(v) for v in row[8:11]] == [
            Decimal(e[f"{c}_rate"]) for c in ("ehr_basic", "ehr_hypertension", "ehr_diabetes")
        ], e["name"]
    assert total[2] == sum(int(e["records"]) for e in expected)

    _headers, rows, _total = table(client, "综合医院")
    expected = newsletter("hospital")
    assert [r[1] for r in rows] == [e["name"] for e in expected]
    for row, e in zip(rows, expected, strict=True):
        assert row[2:5] == (int(e["records"]), int(e["days"]), int(e["outpatient_visits"]))
        assert as_printed(row[5]) == Decimal(e["outpatient_rate"]), e["name"]

    # The city officer under the province sees their own city's platform only.
    client.force_login(User.objects.get(username="suqian"))
    _headers, rows, _total = table(client, "")
    assert [r[1] for r in rows] == ["宿迁市全民健康信息平台"]
    # Loading twice changes nothing.
    again = io.StringIO()
    call_command("load_demo", province=True, stdout=again)
    assert "新增 0 条，更新 0 条" in again.getvalue()
