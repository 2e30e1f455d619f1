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
embeds only the faces the layout actually uses."""

from __future__ import annotations

import io
import tempfile
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from fontTools.ttLib import TTFont
from weasyprint import CSS, HTML
from weasyprint import html as weasyprint_html
from weasyprint.css.counters import CounterStyle
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration

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


def bulletin_html(content: dict) -> str:
    return render_to_string("bulletins/pdf.html", {"c": content})


def bulletin_pdf(content: dict, progress=None) -> bytes:
    """The PDF of a bulletin's content (its snapshot, or a draft's live content).
    `progress(percent)` hears of each stage: the HTML, the layout of the pages (the
    bulk of the time), the PDF written."""
    report = progress or (lambda percent: None)
    html = bulletin_html(content)
    report(20)
    document = html_render(html)
    report(85)
    pdf = document.write_pdf()
    report(100)
    return pdf


def bulletin_pdf_bytes(bulletin) -> bytes:
    """The PDF a user downloads: as stored at publication, or a draft's live one."""
    if bulletin.pdf is not None and not bulletin.is_draft:
        return bytes(bulletin.pdf)
    from .content import bulletin_content

    return bulletin_pdf(bulletin_content(bulletin))
