"""The PDF and XLSX of a bulletin, read back as a user's tools would."""

import io

from openpyxl import load_workbook
from pypdf import PdfReader

from apps.bulletins.content import bulletin_build
from apps.bulletins.pdf import bulletin_pdf
from apps.bulletins.xlsx import bulletin_xlsx


def fonts_of(reader):
    found = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font.get("/BaseFont"))] = embedded
    return found


def test_pdf_has_the_document_in_embedded_chinese_fonts(draft):
    content = bulletin_build(draft)
    reader = PdfReader(io.BytesIO(bulletin_pdf(content)))
    pages = [page.extract_text() for page in reader.pages]
    flat = ["".join(p.split()) for p in pages]  # table cells wrap their text
    text = "\n".join(pages)
    assert "信阳市卫生健康委员会" in text
    assert "信卫信息函〔2023〕4号" in text
    assert "浉河区" in "".join(flat)  # 浉 lies outside GB 2312
    assert "信阳职业技术学院附属医院" in text
    fonts = fonts_of(reader)
    assert fonts and all(fonts.values()), fonts  # every font embedded
    shipped = ("Noto-Serif-SC", "FandolFang", "FandolHei", "FandolKai")  # static/fonts
    assert all(name.split("+")[-1].startswith(shipped) for name in fonts), fonts
    # Page numbers in the form "— 1 —", the attachment on pages of its own with
    # the table header repeated on each.
    assert "— 1 —" in pages[0]
    attachment_pages = [p for p in flat if "序号地区医院名称" in p]
    assert len(attachment_pages) >= 2
    first_attachment = flat.index(attachment_pages[0])
    assert all("序号地区医院名称" in p for p in flat[first_attachment:])
    assert "通报如下" not in flat[first_attachment]
    assert "附件" in flat[first_attachment]


def test_pdf_font_is_subset_to_the_document(draft):
    pdf = bulletin_pdf(bulletin_build(draft))
    assert len(pdf) < 1_500_000  # a whole 6 to 15 MB font would be embedded otherwise


def test_xlsx_has_the_attachment_figures(draft):
    content = bulletin_build(draft)
    sheet = load_workbook(io.BytesIO(bulletin_xlsx(content))).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 41
    by_name = {r[2]: r for r in rows}
    central = by_name["信阳市中心医院"]
    assert central[:8] == (1, "市直", "信阳市中心医院", 30, 58.8, 7131933, 10, "2023-06-22")
    assert by_name["罗山县妇幼保健院"][8] == "未联通"
    assert by_name["固始县中医院"][8] == "已联通省平台"
    # The tier in words, as the text names it, never its number.
    assert central[11] == "第二梯队"
    assert by_name["罗山县妇幼保健院"][11] == "未联通"
    tiers = {r[11] for r in rows}
    assert not tiers & {1, 2, 3, 4, "1", "2", "3", "4"}
    assert any(str(t).endswith("（严重缺失）") for t in tiers)
    assert "共 51 张表" in str(sheet.cell(2, 4).value) or "51" in str(sheet.cell(2, 4).value)


def test_the_attachment_prints_records_with_separators(demo, officer):
    """The attachment's records read 10,607,746, as the tables print counts."""
    import io as _io

    from pypdf import PdfReader as _Reader

    from apps.bulletins.pdf import bulletin_pdf_bytes
    from tests.conftest import make_bulletin

    bulletin = make_bulletin(officer, demo, number="信卫信息函〔2023〕9号")
    text = "".join(
        p.extract_text() for p in _Reader(_io.BytesIO(bulletin_pdf_bytes(bulletin))).pages
    )
    records = bulletin_content_records(bulletin)
    assert records and all(f"{n:,}" in text for n in records)


def bulletin_content_records(bulletin) -> list[int]:
    from apps.bulletins.content import bulletin_content

    return [r["records"] for r in bulletin_content(bulletin)["attachment"] if r["records"] >= 1000]
