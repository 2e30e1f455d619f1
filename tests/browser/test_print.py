"""Printing a page to A4, as Chromium prints it: the whole table, and none of the
page's controls (menus, filters, buttons, export links)."""

import io
import unicodedata

import pytest
from pypdf import PdfReader

from apps.institutions.models import Institution

pytestmark = pytest.mark.django_db(transaction=True)

Q2 = "platform=xinyang&period=2023Q2"
CONTROLS = ("筛选", "导出 Excel", "退出", "数据导入", "检查并发布", "自定义期间")


def printed(page, url) -> str:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    # The system's CJK font maps some glyphs to Kangxi radicals (⼼ for 心): NFKC folds them.
    return unicodedata.normalize("NFKC", text)


def test_printing_the_list_the_institution_page_the_dashboard_and_onboarding(
    demo, sign_in, live_server
):
    page = sign_in("city")
    # window.print() of the print-all page would block the PDF rendering here.
    page.add_init_script("window.print = () => {}")
    text = printed(page, f"{live_server.url}/institutions/?{Q2}&print=1")
    codes = Institution.objects.values_list("org_code", flat=True)
    assert len(codes) == 41
    assert all(code in text for code in codes)  # every row, not only the first page's 50
    for url in (
        f"/institutions/?{Q2}&print=1",
        f"/institutions/41150000001/?{Q2}",
        f"/dashboard/?{Q2}",
        "/onboarding/?platform=xinyang",
    ):
        text = printed(page, f"{live_server.url}{url}")
        assert text.strip(), url
        shown = [c for c in CONTROLS if c in text]
        assert not shown, f"{url} prints its controls: {shown}"
