"""统计报表: the columns of a layout or picked by the officer, ordered by any of them,
with a total row; the same table on the page, in the Excel and in the PDF; saved
layouts shared down the regions; every row within the user's scope."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from apps.reports.models import ReportLayout

pytestmark = pytest.mark.django_db

JIANGSU = "省平台数据上传情况（江苏简报样式）"
NANJING = "平台数据采集情况（南京简报样式）"


def exported(response):
    assert response.status_code == 200, response.status_code
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


def pdf_text(response) -> str:
    """The PDF's text as pypdf lays it out (rows on their lines, cells in order)."""
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages)


def report_url(**params):
    from django.utils.http import urlencode

    return reverse("report") + "?" + urlencode({"period": "2023Q2", **params})


def test_the_province_newsletter_layout_ranks_by_volume_with_rates_and_a_total(
    client, rated, users
):
    layout = ReportLayout.objects.get(name=JIANGSU)
    client.force_login(users.alice)
    page = client.get(report_url(layout=layout.pk))
    assert page.status_code == 200
    assert "门急诊上传人次" in page.text and "合计" in page.text
    table = exported(client.get(report_url(layout=layout.pk, export="report")))
    headers = table[1]
    assert headers[:4] == ("序号", "医院名称", "已上传数据量", "上传天数")
    assert headers[4:6] == ("门急诊上传人次·数值", "门急诊上传人次·上传率（%）")
    body = {r[1]: r for r in table[2:]}
    names = [r[1] for r in table[2:]]
    assert names[:2] == ["信阳市中心医院", "潢川县人民医院"]  # by volume, largest first
    assert names[-1] == "合计"
    central, huangchuan = body["信阳市中心医院"], body["潢川县人民医院"]
    assert central[2:6] == (91 * 300 + 7, 91, 910, 30.33)
    assert huangchuan[4:6] == (500, 166.67)  # over the reference: shown as it is
    assert body["光山县人民医院"][5] is None  # April's reference only: no rate
    total = body["合计"]
    assert total[2] == 91 * 300 + 7 + 50 and total[4] == 1410
    # The total's rate: the values of those with a reference over their references.
    assert total[5] == float(round(Decimal(1410) / 3300 * 100, 2))
    assert 'text-danger fw-semibold">166.67<' in page.text  # over 100: flagged on the page


def test_picked_columns_in_any_order_smallest_first(client, rated, users):
    client.force_login(users.alice)
    table = exported(
        client.get(
            report_url(
                columns="outpatient_visits.rate,outpatient_visits.reference,records",
                order="outpatient_visits.rate",
                desc="0",
                export="report",
            )
        )
    )
    assert table[1][2:] == (
        "门急诊上传人次·上传率（%）",
        "门急诊上传人次·应报数",
        "已上传数据量",
    )
    names = [r[1] for r in table[2:-1]]
    # Rated ones smallest first, then those without a rate.
    assert names[:2] == ["信阳市中心医院", "潢川县人民医院"]
    assert {r[1]: r[3] for r in table[2:-1]}["光山县人民医院"] is None
    assert table[-1][3] == 3300  # the total reference


def test_a_county_officer_reports_on_their_county_only(client, rated, users):
    client.force_login(users.bob)
    table = exported(client.get(report_url(export="report")))
    assert [r[1] for r in table[2:]] == ["潢川县人民医院", "合计"]
    assert client.get(report_url(region="411522")).status_code == 404
    client.force_login(users.dana)  # a hospital user has no report page
    assert client.get(report_url()).status_code == 404


def test_a_saved_layout_is_shared_down_the_regions_and_changed_by_saving_again(
    client, rated, users
):
    client.force_login(users.alice)
    query = report_url(columns="records,discharges.value", order="discharges.value")
    response = client.post(query, {"action": "save", "name": "月报", "title": "月度上传情况"})
    assert response.status_code == 302
    saved = ReportLayout.objects.get(name="月报")
    assert (saved.region, saved.columns, saved.order) == (
        rated.city,
        ["records", "discharges.value"],
        "discharges.value",
    )
    again = client.get(report_url(layout=saved.pk))
    assert "月度上传情况" in again.context["heading"]
    client.force_login(users.bob)  # a county under the city uses it
    assert client.get(report_url(layout=saved.pk)).status_code == 200
    assert client.post(report_url(layout=saved.pk), {"action": "delete"}).status_code == 404
    client.force_login(users.alice)
    client.post(report_url(columns="records", order="records"), {"action": "save", "name": "月报"})
    saved.refresh_from_db()
    assert saved.columns == ["records"]
    assert ReportLayout.objects.filter(name="月报").count() == 1
    client.post(report_url(layout=saved.pk), {"action": "delete"})
    assert not ReportLayout.objects.filter(name="月报").exists()
    assert client.get(report_url(layout=saved.pk)).status_code == 404


def test_bad_parameters_answer_in_chinese_not_500(client, rated, users):
    client.force_login(users.alice)
    assert client.get(report_url(layout="abc")).status_code == 404
    assert client.get(report_url(layout="99999")).status_code == 404
    page = client.get(report_url(columns="records,nonsense.rate", order="nonsense.rate"))
    assert page.status_code == 200 and "nonsense.rate" in page.text
    assert client.get(report_url(period="9999Q4")).status_code == 400
    assert client.get(report_url(export="other")).status_code == 404


def test_the_pdf_is_the_same_table(client, rated, users):
    client.force_login(users.alice)
    layout = ReportLayout.objects.get(name=NANJING)
    text = pdf_text(client.get(report_url(layout=layout.pk, format="pdf")))
    assert "信阳市卫生信息平台数据采集情况（2023年第二季度）" in text
    assert "申明上传表/规定" in text and "门急诊上传" in text  # headers wrap in their cells
    assert "未反馈/4" in text  # nothing declared, four tables required
    assert "27,307" in text.replace(" ", "") or "27307" in text
    assert "合计" in text


def test_quality_columns_by_dimension_with_the_group_total(client, rated, users):
    """The data quality in a report: each unit's dimension rates and score (the
    metrics module's), the total row the group's rate (counts summed, not a mean)."""
    from apps.quality.services import quality_import, quality_rules_import

    platform = rated.platform
    quality_rules_import(
        source="code,name,dimension\nOPV_ID,身份证号不为空,完整性\nOPV_SEX,性别值域,规范性\n".encode(),
        platform=platform,
    )
    quality_import(
        source=(
            b"date,org_code,rule,checked,failed\n"
            b"2023-05-10,41150000001,OPV_ID,1000,20\n"
            b"2023-05-10,41150000001,OPV_SEX,1000,20\n"
            b"2023-05-10,41152600001,OPV_ID,3000,300\n"
        ),
        platform=platform,
    )
    client.force_login(users.alice)
    query = {
        "columns": "quality_completeness,quality_conformance,quality_score",
        "order": "quality_score",
    }
    table = exported(client.get(report_url(**query, export="report")))
    assert table[1][2:] == ("数据质量·完整性", "数据质量·规范性", "数据质量·质量得分")
    body = {r[1]: r[2:] for r in table[2:]}
    assert body["信阳市中心医院"] == (98.0, 98.0, 98.0)
    assert body["潢川县人民医院"] == (90.0, None, 90.0)  # no conformance checked
    assert body["光山县人民医院"] == (None, None, None)
    # Completeness of the two together: 1 − 320 / 4,000; the score of the group.
    assert body["合计"][:2] == (92.0, 98.0)
    assert [r[1] for r in table[2:4]] == ["信阳市中心医院", "潢川县人民医院"]  # best first
    text = pdf_text(client.get(report_url(**query, format="pdf")))
    assert "数据质量" in text and "98.00" in text
