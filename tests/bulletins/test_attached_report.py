"""A report (统计报表) attached to a bulletin as its second attachment: the report of
the bulletin's region and period in a saved layout, the same figures as the report
page, frozen at publication with the rest, on landscape pages in the PDF and on its
own worksheet in the Excel."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils.http import urlencode
from pypdf import PdfReader

from apps.bulletins.content import bulletin_build
from apps.bulletins.models import Bulletin
from apps.bulletins.pdf import bulletin_pdf
from apps.bulletins.services import bulletin_publish
from apps.indicators.services import indicators_import
from apps.reports.models import ReportLayout
from tests.conftest import make_bulletin
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db

JIANGSU = "省平台数据上传情况（江苏简报样式）"


def rows_of(workbook_bytes, sheet=None):
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes))
    return list((book[sheet] if sheet else book.active).iter_rows(values_only=True))


def report_export(client, layout):
    query = urlencode({"period": "2023Q2", "layout": layout.pk, "export": "report"})
    return rows_of(client.get(f"{reverse('report')}?{query}").content)


@pytest.fixture
def attached(rated, users):
    layout = ReportLayout.objects.get(name=JIANGSU)
    return make_bulletin(users.alice, rated.platform, report_layout=layout)


def test_the_attached_report_is_the_report_page_of_the_region_and_period(client, attached, users):
    content = bulletin_build(attached)
    report = content["report"]
    assert report["layout"] == JIANGSU
    assert report["heading"].startswith("信阳市") and report["heading"].endswith(
        "（2023年第二季度）"
    )
    client.force_login(users.alice)
    page = report_export(client, attached.report_layout)
    response = client.get(reverse("bulletin-xlsx", args=[attached.pk]))
    book = rows_of(response.content, "附件2")
    # The bulletin's sheet holds the report page's headers and rows, cell for cell.
    assert book[1:] == page[1:]
    body = {r[1]: r for r in book[2:]}
    assert body["信阳市中心医院"][2:6] == (91 * 300 + 7, 91, 910, 30.33)
    assert body["潢川县人民医院"][5] == 166.67
    assert body["合计"][5] == float(round(Decimal(1410) / 3300 * 100, 2))
    # The first sheet is still the attachment of the tiers, now 附件1.
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames == ["附件1", "附件2"]
    # The rate over its reference is marked on the bulletin's page, as on the report's.
    html = client.get(reverse("bulletin-detail", args=[attached.pk])).text
    assert 'text-danger fw-semibold">166.67<' in html
    assert "附件2" in html


def test_publishing_freezes_the_report_whatever_becomes_of_the_data_or_the_layout(
    attached, users, rated
):
    published = bulletin_publish(bulletin=attached, user=users.alice)
    frozen = published.snapshot["report"]
    central = next(r for r in frozen["rows"] if r[1] == "信阳市中心医院")
    assert central[4:6] == [910, "30.33"]
    # A day of the quarter is revised (10 visits → 90), and the layout is deleted.
    indicators_import(
        source=b"date,org_code,indicator,value\n2023-05-05,41150000001,outpatient_visits,90\n",
        platform=rated.platform,
    )
    ReportLayout.objects.filter(pk=attached.report_layout_id).delete()
    published = Bulletin.objects.get(pk=published.pk)
    assert published.report_layout is None
    assert published.snapshot["report"] == frozen
    # A draft of the same layout would show the new figure.
    draft = make_bulletin(
        users.alice,
        rated.platform,
        number="信卫信息函〔2023〕5号",
        report_layout=ReportLayout.objects.create(
            name="江苏", columns=["outpatient_visits.value", "outpatient_visits.rate"]
        ),
    )
    live = next(r for r in bulletin_build(draft)["report"]["rows"] if r[1] == "信阳市中心医院")
    assert live[2:4] == [990, "33.00"]


def test_the_pdf_lists_two_attachments_and_sets_the_report_on_landscape_pages(attached):
    reader = PdfReader(io.BytesIO(bulletin_pdf(bulletin_build(attached))))
    texts = ["".join(p.extract_text().split()) for p in reader.pages]
    closing = next(t for t in texts if "附件：" in t)
    assert "附件：1．信阳市医疗机构与全民健康信息平台互联互通情况统计" in closing
    assert "2．信阳市数据上传省平台情况（2023年第二季度）" in closing
    first = next(i for i, t in enumerate(texts) if t.startswith("附件1"))
    second = next(i for i, t in enumerate(texts) if t.startswith("附件2"))
    assert first < second
    for number, page in enumerate(reader.pages):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (width > height) == (number >= second), number
    assert "门急诊上传人次" in texts[second] and "合计" in texts[-1]


def test_without_a_layout_the_bulletin_has_one_attachment(draft):
    content = bulletin_build(draft)
    assert content["report"] is None
    reader = PdfReader(io.BytesIO(bulletin_pdf(content)))
    texts = ["".join(p.extract_text().split()) for p in reader.pages]
    assert any("附件：信阳市医疗机构" in t for t in texts)
    assert not any("附件2" in t for t in texts)
    assert all(float(p.mediabox.width) < float(p.mediabox.height) for p in reader.pages)


def test_the_form_offers_the_layouts_of_the_officers_scope_only(client, rated, users):
    theirs = ReportLayout.objects.create(
        name="别市格式",
        columns=["records"],
        region=RegionFactory(code="410100", name="郑州市", level="city", parent=rated.province),
    )
    ours = ReportLayout.objects.create(name="本市格式", columns=["records"], region=rated.city)
    client.force_login(users.alice)
    page = client.get(reverse("bulletin-new"))
    choices = {o[1] for o in page.context["form"].fields["report_layout"].choices}
    assert {"本市格式", JIANGSU} <= {str(c) for c in choices}
    assert "别市格式" not in {str(c) for c in choices}
    draft = make_bulletin(users.alice, rated.platform)
    data = {
        "number": draft.number,
        "title": draft.title,
        "issuing_body": draft.issuing_body,
        "recipients": draft.recipients,
        "issue_date": draft.issue_date.isoformat(),
        **{f"def_{k}": v for k, v in draft.definitions.items()},
    }
    edit = reverse("bulletin-edit", args=[draft.pk])
    # Another city's layout is no choice: the request naming it is refused whole.
    assert client.post(edit, {**data, "report_layout": theirs.pk}).status_code == 404
    assert Bulletin.objects.get(pk=draft.pk).report_layout is None
    assert client.post(edit, {**data, "report_layout": ours.pk}).status_code == 302
    assert Bulletin.objects.get(pk=draft.pk).report_layout == ours
