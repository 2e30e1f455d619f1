"""The provincial demo (`load_demo --province`) gives back the Jiangsu newsletter's
two tables through the report in the shipped Jiangsu layout: units by volume, their
upload days, uploaded visits and discharges and every rate as printed."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from apps.accounts.models import User
from apps.bulletins.content import bulletin_build
from apps.bulletins.pdf import bulletin_pdf
from apps.bulletins.services import bulletin_create
from apps.demo.province import DATA, PERIOD_KEY
from apps.platforms.models import Platform
from apps.regions.models import Region
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


def test_the_province_bulletin_speaks_of_its_units_and_attaches_the_newsletter_table(client):
    call_command("load_demo", province=True, stdout=io.StringIO())
    officer = User.objects.get(username="jiangsu")
    client.force_login(officer)
    form = client.get(reverse("bulletin-new")).context["form"]
    assert form["recipients"].value() == "各设区市卫生健康委，委属（管）各医疗机构"
    assert str(form["region"].value()) == "320000"
    bulletin = bulletin_create(
        user=officer,
        platform=Platform.objects.get(code="jiangsu"),
        region=Region.objects.get(code="320000"),
        period_start=dt.date(2016, 3, 1),
        period_end=dt.date(2016, 4, 30),
        period_label="2016年3—4月",
        number="苏卫信息〔2016〕5号",
        title="江苏省卫生和计划生育委员会关于2016年3—4月全民健康信息平台数据上传情况的通报",
        issuing_body="江苏省卫生和计划生育委员会",
        recipients=form["recipients"].value(),
        issue_date=dt.date(2016, 5, 10),
        report_layout=ReportLayout.objects.get(name="省平台数据上传情况（江苏简报样式）"),
    )
    content = bulletin_build(bulletin)
    assert content["province"] and content["access"]["city_platforms"] == 13
    html = client.get(reverse("bulletin-detail", args=[bulletin.pk])).text
    assert "江苏省25家单位（设区市平台13个、省属医院12家）中，共有25家接入" in html
    assert "现将截至2016年4月30日江苏省各设区市平台和省属医院与" in html
    assert "医疗机构与全民健康信息平台" not in html  # the city's wording
    reader = PdfReader(io.BytesIO(bulletin_pdf(content)))
    first = reader.pages[0].extract_text().splitlines()
    assert "江苏省卫生和计划生育委员会" in first  # the issuer's thirteen characters on one line
    texts = ["".join(p.extract_text().split()) for p in reader.pages]
    assert any("附件1江苏省各设区市平台和省属医院与省全民健康信息平台" in t for t in texts)
    report = next(t for t in texts if t.startswith("附件2"))
    # The newsletter's first row: 宿迁市, by volume, its visits' rate as printed.
    city = newsletter("city")[0]
    assert f"1{city['name']}全民健康信息平台{int(city['records']):,}" in report
