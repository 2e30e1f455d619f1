"""The bulletin as a PDF, through WeasyPrint, in the faces GB/T 9704 asks for,
shipped in static/fonts (with their licences; see the README there):

- 小标宋 (title, 发文机关标志), 宋体 (table, page numbers, and the fallback for
  characters the Fandol faces lack): Noto Serif SC, Bold and Regular;
- 仿宋 (body): FandolFang; 黑体 ("一、" headings): FandolHei; 楷体 ("（一）"
  headings): FandolKai.

Each font is subset to the document's own characters with HarfBuzz (uharfbuzz's
bundled copy) before WeasyPrint sees it. WeasyPrint would otherwise subset the
whole font itself: fast only where Debian's libharfbuzz-subset0 is installed,
several times slower through fontTools where it is not. Subsetting first makes
the fast path the one every machine gets (measured in `make bench`). WeasyPrint
embeds only the faces the layout actually uses.

A long attachment (a province's 2,000 rows) is laid out in two processes, the
second's pages numbered afterwards and joined to the first's with pypdf
(`split_pdf`): the same pages, in about half the time."""

from __future__ import annotations

import io
import logging
import os
import signal
import tempfile
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from fontTools.ttLib import TTFont
from pypdf import PdfReader, PdfWriter
from weasyprint import CSS, HTML
from weasyprint import html as weasyprint_html
from weasyprint.css.counters import CounterStyle
from weasyprint.document import Document
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration

logger = logging.getLogger(__name__)

LATIN_FAMILY = "Noto Serif SC Latin"
# (family, weight, file), by the names templates/bulletins/pdf.html uses.
FONTS = (
    ("Noto Serif SC", "normal", "fonts/NotoSerifSC-Regular.ttf"),
    ("Noto Serif SC", "bold", "fonts/NotoSerifSC-Bold.ttf"),
    ("FandolFang", "normal", "fonts/FandolFang-Regular.otf"),
    ("FandolHei", "normal", "fonts/FandolHei-Regular.otf"),
    ("FandolKai", "normal", "fonts/FandolKai-Regular.otf"),
    # Digits and Latin letters of the 仿宋 and 楷体 text, whose own are a heavy
    # sans and an italic: Noto Serif SC's, as Times New Roman is in a Word 公文,
    # with the Fandol faces' ascent and descent (see `_latin`).
    (LATIN_FAMILY, "normal", "fonts/NotoSerifSC-Regular.ttf"),
)
BODY_FONT = "fonts/FandolFang-Regular.otf"
# Characters the layout may add beyond the HTML's text (page numbers, dashes).
LAYOUT_CHARACTERS = "0123456789— "


@lru_cache(maxsize=len(FONTS))
def _face(static_path: str) -> hb.Face:
    path = finders.find(static_path)
    if not path:
        raise FileNotFoundError(static_path)
    return hb.Face(hb.Blob.from_file_path(path))


def subset_font(static_path: str, text: str) -> bytes:
    """The font reduced to the glyphs of `text` (and their layout features)."""
    subset_input = hb.SubsetInput()
    subset_input.unicode_set.update(ord(ch) for ch in set(text))
    return hb.subset(_face(static_path), subset_input).blob.data


def _latin(static_path: str, text: str) -> bytes:
    """The ASCII characters of `text` in the font at `static_path`, given the
    body face's ascent and descent and no BASE table. A line of 仿宋 with digits
    in it would otherwise take Noto's taller metrics (and Pango would align the
    two faces by their baseline tables), grow by 0.6 pt, and the page would hold
    21 lines instead of 22."""
    font = TTFont(io.BytesIO(subset_font(static_path, "".join(c for c in text if c < "\x80"))))
    extents = hb.Font(_face(BODY_FONT)).get_font_extents("ltr")
    scale = font["head"].unitsPerEm / _face(BODY_FONT).upem
    ascent, descent = round(extents.ascender * scale), round(extents.descender * scale)
    if "BASE" in font:
        del font["BASE"]
    hhea, os2 = font["hhea"], font["OS/2"]
    hhea.ascent, hhea.descent, hhea.lineGap = ascent, descent, 0
    os2.sTypoAscender, os2.sTypoDescender, os2.sTypoLineGap = ascent, descent, 0
    os2.usWinAscent, os2.usWinDescent = ascent, -descent
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def font_css(text: str, folder: Path) -> str:
    """@font-face rules for the faces of FONTS, each subset to `text` and written
    to `folder`: read from a file, a font costs WeasyPrint nothing to parse,
    whereas in a data: URL its CSS tokenizer reads every byte (60 ms a document)."""
    text = "".join(set(text + LAYOUT_CHARACTERS))
    rules = []
    for n, (family, weight, static_path) in enumerate(FONTS):
        if family == LATIN_FAMILY:
            subset = _latin(static_path, text)
        else:
            subset = subset_font(static_path, text)
        path = folder / f"{n}{Path(static_path).suffix}"
        path.write_bytes(subset)
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
            f'src: url("{path.as_uri()}"); }}'
        )
    return "\n".join(rules)


# WeasyPrint's user-agent sheet gives every element of the document five
# pseudo-elements through universal rules (`::marker`, `::footnote-call`,
# `::footnote-marker`, `::note-call`, `::note-marker`, `::note-callback`), and it
# computes a style for each: in a 2,000-row attachment 108,000 of its 121,000 style
# computations. Our documents have no footnotes or notes and mark list items only:
# the same sheet with the marker rule kept for `li` and the note rules dropped.
UA_UNIVERSAL_PSEUDO = (
    "::marker {",
    "::footnote-call {",
    "::footnote-marker {",
    "::note-call {",
    "::note-marker {",
    "::note-callback {",
)


def _trimmed_ua() -> str:
    lines = []
    for line in weasyprint_html.UA.splitlines():
        if line.startswith("::marker {"):
            lines.append("li" + line)
        elif not line.startswith(UA_UNIVERSAL_PSEUDO):
            lines.append(line)
    return "\n".join(lines)


class _HTML(HTML):
    """HTML rendered with the trimmed user-agent sheet."""

    _ua = None

    def _ua_stylesheets(self, forms=False):
        if _HTML._ua is None:
            # Its @counter-style rules are WeasyPrint's own, which every document
            # gets already (`_ua_counter_style`): read into a dictionary of their own.
            _HTML._ua = CSS(string=_trimmed_ua(), counter_style=CounterStyle())
        return [_HTML._ua, *super()._ua_stylesheets(forms)[1:]]


def html_render(html: str) -> Document:
    """The laid-out document (its pages and boxes), ready for `write_pdf`."""
    # @font-face rules take effect only through a FontConfiguration shared by the
    # stylesheet and the rendering; it copies each font it loads, so the subsets'
    # folder may go once the stylesheet is read.
    fonts = FontConfiguration()
    with tempfile.TemporaryDirectory(prefix="hipwatch-fonts-") as folder:
        stylesheet = CSS(string=font_css(html, Path(folder)), font_config=fonts)
    return _HTML(string=html).render(stylesheets=[stylesheet], font_config=fonts)


def html_to_pdf(html: str) -> bytes:
    return html_render(html).write_pdf()


def bulletin_html(content: dict, part: str = "", start: int = 0, end: int | None = None) -> str:
    """The bulletin's HTML, whole, or one `part` of it for `bulletin_pdf`'s two
    processes: "head" (the document and the attachment's rows start..end), "rest"
    (those rows alone, continuing the table, with the note; unnumbered), "probe"
    (the attachment's title and rows, to measure its pages)."""
    rows = content.get("attachment") or []
    return render_to_string(
        "bulletins/pdf.html",
        {"c": content, "part": part, "rows": rows[start:end], "offset": start},
    )


# An attachment of this many rows or more is laid out in two processes: its table is
# nine tenths of a province's bulletin's time (6 ms a row), and a row's layout is
# WeasyPrint's pure Python.
SPLIT_ROWS = 600


def bulletin_pdf(content: dict, progress=None) -> bytes:
    """The PDF of a bulletin's content (its snapshot, or a draft's live content).
    `progress(percent)` hears of each stage: the HTML, the layout of the pages (the
    bulk of the time), the PDF written."""
    report = progress or (lambda percent: None)
    rows = content.get("attachment") or []
    if len(rows) >= SPLIT_ROWS and not content.get("report") and hasattr(os, "fork"):
        pdf = split_pdf(content, report)
        if pdf is not None:
            return pdf
    html = bulletin_html(content)
    report(20)
    document = html_render(html)
    report(85)
    pdf = document.write_pdf()
    report(100)
    return pdf


def split_pdf(content: dict, report) -> bytes | None:
    """The same PDF, its attachment's table laid out in two processes at once: this
    one lays out the document and the table's rows up to a row that starts a page,
    a forked child the rest of the table from that row on a page of its own; the
    child's pages get their numbers afterwards (from how many pages come before
    them) and follow this process's. Where that row starts a page is worked out
    from the table's measured rows (`_plan`) and checked on this process's own
    layout: when the check fails (or the child does), None, and the caller lays
    out the whole as one."""
    rows = content["attachment"]
    plan = _plan(content, target=int(len(rows) * SPLIT_SHARE))
    if plan is None:
        return None
    k, rest_pages = plan
    report(20)
    child = _forked(lambda: html_to_pdf(bulletin_html(content, part="rest", start=k)))
    numbers = head = rest = None
    try:
        document = html_render(bulletin_html(content, part="head", end=k + 1))
        report(60)
        page = next((n for n, first in _first_rows(document) if first == k), None)
        if page is not None:
            head = document.copy(document.pages[:page]).write_pdf()
            del document
            # While the child lays out the rest: the numbers of as many pages as it
            # should have, and two more.
            numbers = _numbers(content, page + 1, rest_pages + 2)
            rest = child.result()
    finally:
        child.close()  # stopped, when its pages are not wanted
    if head is None or rest is None:
        logger.warning("bulletin PDF laid out in one process: the split at row %d failed", k)
        return None
    report(90)
    count = len(PdfReader(io.BytesIO(rest)).pages)
    if count > rest_pages + 2:
        numbers = _numbers(content, page + 1, count)
    pdf = _joined(head, rest, numbers)
    report(100)
    return pdf


# The share of the rows the first process lays out: it has the text of the
# document and the numbers' pages besides (about 1 s at province size). Measured
# on the province's 2,000 rows: 0.42 → the child finished 0.9 s after this
# process (7.0 s in all), 0.46 → within 0.1 s (6.5 s), 0.48 → this one 0.4 s late.
SPLIT_SHARE = 0.46


def _numbers(content: dict, first: int, count: int) -> bytes:
    """`count` pages bearing only their numbers, from `first`, as the bulletin's own
    pages bear them."""
    return html_to_pdf(
        render_to_string(
            "bulletins/pdf.html",
            {"c": content, "part": "numbers", "first_number": first, "numbered": range(count)},
        )
    )


def _first_rows(document: Document):
    """(page index, index of the attachment row that starts it) of the pages on which
    the attachment's table has rows: counted, since a row is never split."""
    seen = 0
    for n, page in enumerate(document.pages):
        on_page = sum(1 for _row in _annex_rows(page._page_box))
        if on_page:
            yield n, seen
            seen += on_page


def _plan(content: dict, target: int) -> tuple[int, int] | None:
    """(the first row at or after `target` that starts a page of the attachment, the
    pages from that row to the end), as its rows' heights say. The title and the
    first row are laid out to measure where the first page's rows begin, where a
    further page's do (as far below the page's top as the first below the table's)
    and a row's height; a row is one line of that height and 12 pt for each line
    more that its name or remark is broken into (by the template's own `lines`
    filter). None when the row would lie among the last 40."""
    from .templatetags.bulletins import lines

    rows = content["attachment"]
    probe = html_render(bulletin_html(content, part="probe", end=1)).pages[0]._page_box
    table = next(_annex_tables(probe), None)
    first = next(_annex_rows(probe), None)
    if table is None or first is None:
        return None
    line = 12 / 0.75  # 12 pt in CSS pixels: the table's line height

    def extra_lines(row) -> int:
        return max(str(lines(shown(row, key), width)).count("<br>") for key, width in LINED)

    height = first.height - line * extra_lines(rows[0])
    top = probe.content_box_y() + first.position_y - table.position_y
    bottom = probe.content_box_y() + probe.height
    start, y, k, pages = 0, first.position_y, None, 1
    for index, row in enumerate(rows):
        h = height + line * extra_lines(row)
        if y + h > bottom + 0.01:
            start, y = index, top
            if k is None and start >= target:
                k = start
            pages += 1 if k is not None and start > k else 0
        y += h
    if k is None or k > len(rows) - 40:
        return None
    return k, pages


# The cells the template breaks into lines, with their widths in ems.
LINED = (("region", 4.1), ("name", 11.1), ("remark", 5.1))


def shown(row: dict, key: str) -> str:
    """The text of a row's cell as the template prints it: the region only on the
    region's first row."""
    if key == "region" and not row.get("first_in_region"):
        return ""
    return row.get(key) or ""


def _annex_tables(page_box):
    for box in page_box.descendants():
        if isinstance(box, boxes.TableBox) and "annex" in (box.element.get("class") or ""):
            yield box


def _annex_rows(page_box):
    for table in _annex_tables(page_box):
        for group in table.children:
            if not group.is_header:
                yield from group.children


class _Child:
    """A forked process computing bytes, read back through a pipe."""

    def __init__(self, pid: int, read: int):
        self.pid, self.read, self.done = pid, read, False

    def result(self) -> bytes | None:
        with os.fdopen(self.read, "rb") as pipe:
            data = pipe.read()
        self.done = True
        _pid, status = os.waitpid(self.pid, 0)
        return data if os.waitstatus_to_exitcode(status) == 0 and data else None

    def close(self) -> None:
        if not self.done:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            os.close(self.read)
            self.done = True


def _forked(compute) -> _Child:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, write, and leave without running anything else
        code = 1
        try:
            os.close(read)
            data = compute()
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return _Child(pid, read)


def _joined(head: bytes, rest: bytes, numbers: bytes) -> bytes:
    """The head's pages (with its outline and metadata), then the rest's, each with
    the page number of `numbers`' page of the same rank drawn over it (`numbers` may
    have more)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(head)))
    numbered = PdfReader(io.BytesIO(numbers)).pages
    for page, number in zip(PdfReader(io.BytesIO(rest)).pages, numbered, strict=False):
        added = writer.add_page(page)
        added.merge_page(number)
        added.compress_content_streams()
    writer.compress_identical_objects()  # the faces both parts embed, once
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bulletin_pdf_bytes(bulletin) -> bytes:
    """The PDF a user downloads: as stored at publication, or a draft's live one."""
    if bulletin.pdf is not None and not bulletin.is_draft:
        return bytes(bulletin.pdf)
    from .content import bulletin_content

    return bulletin_pdf(bulletin_content(bulletin))
