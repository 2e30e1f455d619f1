"""The bulletin as a PDF, through WeasyPrint, with a Chinese font shipped in
static/fonts.

The font is subset to the document's own characters with HarfBuzz (uharfbuzz's
bundled copy) before WeasyPrint sees it. WeasyPrint would otherwise subset the
15 MB font itself: fast only where Debian's libharfbuzz-subset0 is installed,
several times slower through fontTools where it is not. Subsetting first makes
the fast path the one every machine gets (measured in `make bench`)."""

from __future__ import annotations

import base64
from functools import lru_cache

import uharfbuzz as hb
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

FONT_FAMILY = "Noto Serif SC"
FONTS = {"normal": "fonts/NotoSerifSC-Regular.ttf", "bold": "fonts/NotoSerifSC-Bold.ttf"}
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
    subset_input.unicode_set.update(ord(ch) for ch in set(text + LAYOUT_CHARACTERS))
    return hb.subset(_face(static_path), subset_input).blob.data


def font_css(text: str) -> str:
    rules = []
    for weight, static_path in FONTS.items():
        data = base64.b64encode(subset_font(static_path, text)).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; '
            f'src: url("data:font/ttf;base64,{data}"); }}'
        )
    return "\n".join(rules)


def html_to_pdf(html: str) -> bytes:
    # @font-face rules take effect only through a FontConfiguration shared by the
    # stylesheet and the rendering.
    fonts = FontConfiguration()
    stylesheet = CSS(string=font_css(html), font_config=fonts)
    return HTML(string=html).write_pdf(stylesheets=[stylesheet], font_config=fonts)


def bulletin_pdf(content: dict) -> bytes:
    """The PDF of a bulletin's content (its snapshot, or a draft's live content)."""
    return html_to_pdf(render_to_string("bulletins/pdf.html", {"c": content}))


def bulletin_pdf_bytes(bulletin) -> bytes:
    """The PDF a user downloads: as stored at publication, or a draft's live one."""
    if bulletin.pdf is not None and not bulletin.is_draft:
        return bytes(bulletin.pdf)
    from .content import bulletin_content

    return bulletin_pdf(bulletin_content(bulletin))
