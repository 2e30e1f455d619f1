"""The bulletin PDF laid out in the manner of GB/T 9704, checked on the real
document: the PDF as pypdf reads it, and WeasyPrint's layout of it (its pages,
lines and table cells)."""

import io
import re

from pypdf import PdfReader
from weasyprint.formatting_structure import boxes

from apps.bulletins.content import bulletin_build
from apps.bulletins.pdf import bulletin_html, bulletin_pdf, html_render
from tests.conftest import make_bulletin

PT = 0.75  # WeasyPrint's CSS pixels to points
LEFT = 28 / 25.4 * 72  # the type area's left edge, 28 mm in
CHARACTERS_2 = 2 * 156 / 25.4 * 72 / 28  # 空二字: two of the 28 characters to a line
FAMILIES = {
    "Noto-Serif-SC-Bold",  # 小标宋
    "Noto-Serif-SC",  # 宋体
    "Noto-Serif-SC-Latin",  # digits of the 仿宋 text
    "FandolFang",  # 仿宋
    "FandolHei",  # 黑体
    "FandolKai",  # 楷体
}


def runs(page) -> list[tuple[str, str, float, float]]:
    """(text, font family, y from the top and x from the left of its line, in
    pt) of each text run."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font:
            family = str(font["/BaseFont"]).split("+", 1)[-1]
            found.append((text.strip(), family, round(tm[5] * PT, 1), round(tm[4] * PT, 1)))

    page.extract_text(visitor_text=visit)
    return found


def flat(page) -> str:
    return "".join(page.extract_text().split())


def read(content) -> PdfReader:
    return PdfReader(io.BytesIO(bulletin_pdf(content)))


def line_boxes(box):
    if isinstance(box, boxes.LineBox):
        yield box
        return
    for child in getattr(box, "children", []):
        yield from line_boxes(child)


def text_of(box) -> str:
    return "".join(b.text for b in box.descendants() if isinstance(b, boxes.TextBox))


def body_rows(page_box) -> list:
    return [
        row
        for group in page_box.descendants()
        if isinstance(group, boxes.TableRowGroupBox) and not group.is_header
        for row in group.children
    ]


def test_each_part_is_set_in_its_face_and_only_the_faces_used_are_embedded(draft):
    content = bulletin_build(draft)
    reader = read(content)
    where = {}
    for page in reader.pages:
        for text, family, *_ in runs(page):
            where.setdefault(family, []).append(text)
    assert set(where) == FAMILIES
    assert "信阳市卫生健康委员会" in where["Noto-Serif-SC-Bold"]  # 发文机关标志
    assert "一、接入情况" in where["FandolHei"]
    assert "（二）加强维护管理。" in where["FandolKai"]
    assert any("医疗机构中" in t for t in where["FandolFang"])
    assert "41" in where["Noto-Serif-SC-Latin"]  # "信阳市41家医疗机构中"
    assert "信阳职业技术学院附属医院" in "".join(where["Noto-Serif-SC"])  # the table
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert {"/FontFile2", "/FontFile3"} & set(descriptor.get_object()), font

    # Without "（一）" headings, no 楷体 to embed.
    content["document"]["requirements"] = ""
    embedded = {family for page in read(content).pages for _, family, *_ in runs(page)}
    assert "FandolKai" not in embedded
    assert "FandolFang" in embedded


def test_the_title_is_set_in_the_lines_chosen_between_words(draft):
    content = bulletin_build(draft)
    first = html_render(bulletin_html(content)).pages[0]._page_box
    title = next(b for b in first.descendants() if getattr(b, "element_tag", None) == "h1")
    assert [text_of(line) for line in line_boxes(title)] == [
        "信阳市卫生健康委员会关于",
        "2023年度第二季度全民健康信息平台",
        "互联互通工作的通报",
    ]


def test_the_body_keeps_22_lines_to_the_page_and_28_characters_to_the_line(draft):
    document = html_render(bulletin_html(bulletin_build(draft)))
    body = [p for p in document.pages if "附件" != text_of(next(line_boxes(p._page_box)))]
    assert len(body) < len(document.pages)
    heights = []
    for page in body:
        for element in page._page_box.descendants():
            if getattr(element, "element_tag", None) == "p" and "para" in element.element.get(
                "class", ""
            ):
                heights += [line.height * PT for line in line_boxes(element)]
    assert heights
    assert 22 * max(heights) <= 225 / 25.4 * 72  # the type area's 225 mm
    opening = next(
        text_of(line)
        for page in body
        for line in line_boxes(page._page_box)
        if text_of(line).startswith("今年以来")
    )
    assert len(opening) == 26  # two characters of indent, then 26 of text


def test_the_opening_leads_into_the_figures_once(officer, demo):
    plain = make_bulletin(officer, demo, opening="今年以来，全市各级医疗机构推进互联互通。")
    first = flat(read(bulletin_build(plain)).pages[0])
    assert first.count("通报如下") == 1
    assert first.count("今年以来") == 1
    # The fixed sentence runs on in the opening's last paragraph, as the commission writes it.
    assert "推进互联互通。现将截至2023年6月30日信阳市医疗机构与" in first

    own = make_bulletin(
        officer,
        demo,
        number="信卫信息函〔2023〕5号",
        opening="今年以来，全市各级医疗机构推进互联互通。\n现将有关情况通报如下：",
    )
    first = flat(read(bulletin_build(own)).pages[0])
    assert first.count("通报如下") == 1
    assert "现将有关情况通报如下：" in first
    assert "现将截至" not in first

    empty = make_bulletin(officer, demo, number="信卫信息函〔2023〕6号", opening="")
    first = flat(read(bulletin_build(empty)).pages[0])
    assert first.count("通报如下") == 1


def closing_and_attachment(reader):
    """The page that ends the body and the one that starts the attachment."""
    pages = [flat(p) for p in reader.pages]
    start = next(i for i, p in enumerate(pages) if p.startswith("附件") and "附件：" not in p)
    return start - 1, start


def test_the_closing_stands_as_the_standard_puts_it(draft):
    reader = read(bulletin_build(draft))
    closing = runs(reader.pages[closing_and_attachment(reader)[0]])
    texts = [t for t, *_ in closing]
    # 附件说明, 发文机关署名, 成文日期, then the 附注 in parentheses on the next line.
    ref = next(i for i, t in enumerate(texts) if t.startswith("附件："))
    body = texts.index("信阳市卫生健康委员会", ref)
    date = texts.index("年", body)
    note = texts.index("（联系人：科技信息科）", date)
    y = {i: closing[i][2] for i in (ref, body, date, note)}
    assert y[ref] < y[body] < y[date] < y[note]
    assert 28 < y[date] - y[body] < 30  # the next line
    assert 28 < y[note] - y[date] < 30
    # The date two characters right of the signature; the 附注 two in from the left.
    x = {i: closing[i][3] for i in (ref, body, date, note)}
    assert abs(x[date] - x[body] - CHARACTERS_2) < 1
    assert abs(x[note] - LEFT - CHARACTERS_2) < 1
    assert abs(x[ref] - LEFT - CHARACTERS_2) < 1


def test_the_attachment_starts_a_page_of_its_own_and_no_page_is_blank(draft):
    content = bulletin_build(draft)
    # Bodies of three lengths, so that one at least ends high on its last page.
    for requirements in (
        "",
        "（一）加快接入进度。",
        "（一）加快接入进度。\n" + "各单位要加强维护管理。" * 12,
    ):
        content["document"]["requirements"] = requirements
        reader = read(content)
        pages = [flat(p) for p in reader.pages]
        end, start = closing_and_attachment(reader)
        assert re.sub(r"—\d+—$", "", pages[end]).endswith("（联系人：科技信息科）")
        attachment = runs(reader.pages[start])
        assert attachment[0][:2] == ("附件", "FandolHei")
        assert "医疗机构与全民健康信息平台" in attachment[1][0]
        assert all(re.sub(r"—\d+—", "", p) for p in pages)


def test_the_attachment_headers_wrap_onto_two_lines_at_most(draft):
    document = html_render(bulletin_html(bulletin_build(draft)))
    attachment = [p for p in document.pages if text_of(next(line_boxes(p._page_box))) == "附件"]
    assert attachment
    headers = [
        cell
        for cell in attachment[0]._page_box.descendants()
        if isinstance(cell, boxes.TableCellBox) and cell.element_tag == "th"
    ]
    assert len(headers) == 11
    for cell in headers:
        assert 1 <= len(list(line_boxes(cell))) <= 2, text_of(cell)
    # Repeated on every page of the attachment.
    later = document.pages[document.pages.index(attachment[0]) + 1 :]
    assert later
    for page in later:
        assert any(
            isinstance(cell, boxes.TableCellBox) and cell.element_tag == "th"
            for cell in page._page_box.descendants()
        )


def test_the_last_page_of_the_attachment_is_never_a_lone_row(draft):
    content = bulletin_build(draft)
    rows = [r for r in content["attachment"] if not r["remark"]]  # rows of one line
    content["attachment"] = [dict(rows[i % len(rows)], seq=i + 1) for i in range(90)]
    document = html_render(bulletin_html(content))
    per_page = [len(body_rows(p._page_box)) for p in document.pages]
    tables = [n for n in per_page if n]
    # As many rows as fill the attachment's first two pages, and one more.
    content["attachment"] = content["attachment"][: tables[0] + tables[1] + 1]
    document = html_render(bulletin_html(content))
    last = document.pages[-1]._page_box
    assert len(body_rows(last)) >= 4
    assert "注：" in "".join(text_of(line) for line in line_boxes(last))


def test_the_user_agent_sheet_gives_no_element_pseudo_elements_it_does_not_use():
    """The trimmed sheet (apps.bulletins.pdf): WeasyPrint's own, less the universal
    footnote and note rules, its marker rule kept for list items — exactly, so a new
    WeasyPrint whose sheet moved is noticed here."""
    from weasyprint import html as weasyprint_html

    from apps.bulletins.pdf import _trimmed_ua

    ours, theirs = _trimmed_ua().splitlines(), weasyprint_html.UA.splitlines()
    dropped = [line for line in theirs if line not in ours]
    assert [line.split("{")[0].strip() for line in dropped] == [
        "::marker",
        "::footnote-call",
        "::footnote-marker",
        "::note-call",
        "::note-marker",
        "::note-callback",
    ]
    assert [line for line in ours if line not in theirs] == ["li" + dropped[0]]
    document = html_render("<ol><li>一</li><li>二</li></ol><p>三</p>")
    tags = [box.element_tag for box in document.pages[0]._page_box.descendants()]
    assert [tag for tag in tags if tag and "::" in tag] == ["li::marker", "li::marker"]


def long_attachment(draft, count=170):
    """The draft's attachment made `count` rows long: its own rows over again, one
    in seven with a name of two lines, one in five starting a region whose name
    takes two lines."""
    content = bulletin_build(draft)
    rows = content["attachment"]
    content["attachment"] = [
        dict(rows[i % len(rows)], seq=i + 1)
        | ({"name": "信阳市第一人民医院东院区分院门诊部" + str(i)} if i % 7 == 3 else {})
        | ({"region": "石林彝族自治县", "first_in_region": True} if i % 5 == 2 else {})
        for i in range(count)
    ]
    return content


def layout_of(pdf: bytes) -> list:
    """Every page's text runs with their faces and positions, and the document's
    title and outline."""
    reader = PdfReader(io.BytesIO(pdf))
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    return [reader.metadata.title, outline, [runs(page) for page in reader.pages]]


def test_a_long_attachment_laid_out_in_two_processes_is_the_same_pdf(draft):
    from apps.bulletins.pdf import html_to_pdf, split_pdf

    content = long_attachment(draft)
    heard = []
    split = split_pdf(content, heard.append)
    assert split is not None, "the split failed and would have fallen back"
    whole = html_to_pdf(bulletin_html(content))
    assert layout_of(split) == layout_of(whole)
    pages = len(PdfReader(io.BytesIO(whole)).pages)
    # Numbered to the last page, the number placed as on the pages before the split.
    assert runs(PdfReader(io.BytesIO(split)).pages[-1])[-1][0] == f"— {pages} —"
    assert heard == [20, 60, 90, 100]


def test_a_split_that_does_not_fall_on_a_page_break_is_not_used(draft, monkeypatch):
    """A row predicted to start a page that does not (here one too far) gives no
    split PDF (its child stopped), and bulletin_pdf lays out the whole instead."""
    from apps.bulletins import pdf

    content = long_attachment(draft)
    predicted = pdf._plan
    monkeypatch.setattr(pdf, "_plan", lambda c, target: (predicted(c, target)[0] + 1, 9))
    assert pdf.split_pdf(content, lambda percent: None) is None
    monkeypatch.setattr(pdf, "SPLIT_ROWS", 100)
    assert layout_of(pdf.bulletin_pdf(content)) == layout_of(
        pdf.html_to_pdf(bulletin_html(content))
    )


def test_a_child_that_fails_gives_no_split_pdf(draft, monkeypatch):
    from apps.bulletins import pdf

    content = long_attachment(draft)
    laid_out = pdf.html_to_pdf

    def failing_for_the_rest(html):
        if "content: none" in html:  # the rest's unnumbered pages: the child's part
            raise RuntimeError("the child's layout failed")
        return laid_out(html)

    monkeypatch.setattr(pdf, "html_to_pdf", failing_for_the_rest)
    assert pdf.split_pdf(content, lambda percent: None) is None
