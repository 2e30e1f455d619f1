import datetime as dt
import html
import itertools
import math
import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.metrics.periods import long_date
from apps.reports.columns import snapshot_sheet

register = template.Library()


@register.filter
def cn_date(value) -> str:
    """2023-06-30 → 2023年6月30日 (the date style of official documents)."""
    if not value:
        return ""
    return long_date(dt.date.fromisoformat(value) if isinstance(value, str) else value)


# 发文机关标志: 36 pt 小标宋 with 3 pt between characters, on the 156 mm line.
ISSUER_SIZE, ISSUER_SPACING, ISSUER_LINE = 36.0, 3.0, 156 / 25.4 * 72


@register.filter
def thousands(value) -> str:
    """27307 → 27,307: a count as the tables print it."""
    if value is None or value == "":
        return ""
    return f"{int(value):,}"


@register.filter
def issuer_size(name: str) -> str:
    """The issuer's font size in pt: 36, or less for a name too long for one line
    at 36 (GB/T 9704 7.2.3: 以醒目美观庄重为原则), "江苏省卫生和计划生育委员会" say."""
    n = len(name or "")
    if not n:
        return f"{ISSUER_SIZE:g}"
    fits = (ISSUER_LINE - 3.0) / n - ISSUER_SPACING
    return f"{min(ISSUER_SIZE, math.floor(fits * 10) / 10):g}"


@register.filter
def names(institutions) -> str:
    """A list of institutions as the text names them: 甲、乙、丙."""
    return _(", ").join(i["name"] for i in institutions)


@register.filter
def scored(institutions) -> str:
    """Units with their quality score, as the text names them: 甲（98.52分）、乙."""
    return _(", ").join(
        _("%(name)s (%(score)s points)") % {"name": i["name"], "score": i["score"]}
        for i in institutions
    )


@register.filter
def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").splitlines() if p.strip()]


# The document's own typesetting rules, in the manner of GB/T 9704 (党政机关公文格式).

# 2号 (22 pt) characters on the 156 mm line of the type area (20.1), less a
# margin for the estimate of digits' widths.
TITLE_WIDTH = 19.8
# Words a line must not be broken inside, beyond the names the document itself
# passes (issuing body, region, platform, period): those of the titles, of the
# attachment's headers and remarks, and the endings of institutions' names.
WORDS = (
    "全民健康信息平台",
    "健康信息平台",
    "信息平台",
    "省平台",
    "平台",
    "互联互通",
    "卫生健康委员会",
    "卫生健康委",
    "医疗机构",
    "公立医院",
    "附属医院",
    "人民医院",
    "中医院",
    "妇幼保健院",
    "中西医结合",
    "医院",
    "二级以上",
    "数据",
    "质量",
    "工作",
    "情况",
    "统计",
    "的通报",
    "通报",
    "关于",
    "上传",
    "最近",
    "日期",
    "中断",
    "天数",
    # The ends of long county names in the attachment's region column.
    "自治县",
    "自治旗",
    "林区",
    "新区",
    "数量",
    "记录数",
    "完整率",
)
TITLE_PERIOD = re.compile(
    r"\d{4}\s*年度?(?:第[一二三四]季度|[上下]半年|\d{1,2}\s*(?:[-－—~至]\s*\d{1,2}\s*)?月份?)?"
    r"|第[一二三四]季度|\d{1,2}\s*[-－—~至]\s*\d{1,2}\s*月"
)
OPENING_PUNCTUATION = "（《〈「『“‘〔【("
CLOSING_PUNCTUATION = "）》〉」』”’〕】，、。；：？！)"


def text_width(text: str, halt: bool = False) -> float:
    """Width in ems: a Chinese character or full-width sign is one, the rest
    (digits, Latin letters, spaces) about 0.55 (0.5 in the Fandol faces, 0.59
    in Noto Serif SC Bold). With `halt` (the font feature the tables' headers are
    set with), full-width brackets and punctuation are half as wide."""
    return sum(
        0.5 if halt and ch in HALF_WIDTH_SIGNS else 1.0 if ord(ch) > 0x2E7F else 0.55 for ch in text
    )


HALF_WIDTH_SIGNS = frozenset(
    ch for ch in OPENING_PUNCTUATION + CLOSING_PUNCTUATION if ord(ch) > 0x2E7F
)


def title_words(title: str, keep: tuple[str, ...] = ()) -> list[str]:
    """The text cut into the pieces a line break may fall between: names and
    known words whole, periods ("2023年度第二季度") whole, any other run of
    characters whole, punctuation kept with the word it belongs to."""
    known = sorted({w for w in (*keep, *WORDS) if w}, key=len, reverse=True)
    words: list[str] = []
    run = ""
    i = 0
    while i < len(title):
        period = TITLE_PERIOD.match(title, i)
        word = period.group() if period else next((w for w in known if title.startswith(w, i)), "")
        if word:
            if run:
                words.append(run)
                run = ""
            words.append(word)
            i += len(word)
        else:
            run += title[i]
            i += 1
    if run:
        words.append(run)
    merged: list[str] = []
    for word in words:
        if merged and (word[0] in CLOSING_PUNCTUATION or merged[-1][-1] in OPENING_PUNCTUATION):
            merged[-1] += word
        else:
            merged.append(word)
    return merged


def _layout_cost(layout: list[str], halt: bool = False) -> float:
    widths = [text_width(line, halt) for line in layout]
    longest = max(widths)
    # Balanced lines: a short last line ("通报" alone) costs most.
    cost = sum((longest - w) ** 2 for w in widths)
    # 梯形 or 菱形, never an hourglass (a middle line shorter than both neighbours).
    for before, w, after in zip(widths, widths[1:], widths[2:], strict=False):
        if w < before and w < after:
            cost += 100
    # "……关于" ends a line rather than starting the next one.
    cost += sum(4 for line in layout[1:] if line.startswith("关于"))
    # Of two equal shapes, the one whose first line is longer.
    return cost - widths[0] / 100


def title_lines(
    title: str,
    keep: tuple[str, ...] = (),
    width: float = TITLE_WIDTH,
    balance: bool = True,
    halt: bool = False,
) -> list[str]:
    """The lines a centred title is set in: as few as fit `width` ems, broken
    between words only (GB/T 9704 7.3.3: 词意完整，排列对称), shaped as a
    trapezoid or a diamond; with `balance` False, each line filled as far as
    its words go, as running text is. A word longer than a line is cut where
    the line is full, as it would wrap anyway, but never so that a line starts
    with a closing sign or ends with an opening one (避头尾), nor inside a
    number. `halt`: measured as `text_width` does with that feature."""
    title = title.strip()
    if text_width(title, halt) <= width:
        return [title] if title else []
    words = []
    for word in title_words(title, keep):
        while text_width(word, halt) > width:
            cut = 1
            while text_width(word[: cut + 1], halt) <= width:
                cut += 1
            while cut > 1 and (
                word[cut] in CLOSING_PUNCTUATION
                or word[cut - 1] in OPENING_PUNCTUATION
                or (word[cut - 1].isascii() and word[cut - 1].isalnum() and word[cut].isalnum())
            ):
                cut -= 1
            words.append(word[:cut])
            word = word[cut:]
        words.append(word)
    # The fewest lines: as many words on each line as fit (greedy is optimal).
    greedy = [words[0]]
    for word in words[1:]:
        if text_width(greedy[-1] + word, halt) <= width:
            greedy[-1] += word
        else:
            greedy.append(word)
    count = len(greedy)
    if not balance or math.comb(len(words) - 1, count - 1) > 5000:  # a title no one writes
        return greedy
    layouts = []
    for cuts in itertools.combinations(range(1, len(words)), count - 1):
        bounds = (0, *cuts, len(words))
        layout = ["".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
        if all(text_width(line, halt) <= width for line in layout):
            layouts.append(layout)
    return min(layouts, key=lambda layout: _layout_cost(layout, halt))


@register.simple_tag
def title_break(title: str, *keep: str) -> list[str]:
    """The document's title in lines: `{% title_break d.title d.issuing_body as lines %}`."""
    return title_lines(title or "", tuple(k for k in keep if k))


@register.simple_tag
def attachment_title(region: str, province: bool = False) -> str:
    """The attachment's title (附件标题): a city's institutions, or a province's
    units (its city platforms and province hospitals)."""
    if province:
        return _(
            "Interconnection of the units of %(region)s with the provincial health "
            "information platform"
        ) % {"region": region}
    return _(
        "Interconnection of the institutions of %(region)s with the health information platform"
    ) % {"region": region}


@register.simple_tag
def attachment_title_break(region: str, platform: str = "", province: bool = False) -> list[str]:
    """The attachment's title, in lines as `title_break` sets them."""
    title = attachment_title(region, province)
    return title_lines(title, tuple(k for k in (region, platform) if k))


# 2号 characters on the 225 mm line of a landscape page, with the same margin.
LANDSCAPE_TITLE_WIDTH = 28.7


@register.simple_tag
def report_title_break(heading: str, *keep: str) -> list[str]:
    """The attached report's title (附件2), in lines across a landscape page."""
    return title_lines(heading or "", tuple(k for k in keep if k), LANDSCAPE_TITLE_WIDTH)


@register.simple_tag
def report_sheet(snapshot: dict):
    """The attached report of a bulletin's content as the table the report page
    renders (`reports/_report_table.html`)."""
    return snapshot_sheet(snapshot)


def _html_lines(text, width, balance: bool, halt: bool = False) -> str:
    if isinstance(text, SafeData):  # from {% blocktranslate asvar %}: escaped already
        text = html.unescape(text)
    layout = title_lines(str(text), (), float(width), balance, halt)
    return mark_safe("<br>".join(escape(line) for line in layout))


@register.filter
def lines(text, width) -> str:
    """Text in balanced lines of at most `width` ems, broken between words only,
    as HTML: `{{ header|lines:4 }}` for a table header "最近上传<br>日期"."""
    return _html_lines(text, width, balance=True)


@register.filter
def header_lines(text, width) -> str:
    """`lines` for a table's header, whose brackets are half-width ("halt" in
    pdf.html): "上传表数量<br>（共51张表）" in 5.1 ems."""
    return _html_lines(text, width, balance=True, halt=True)


@register.filter
def fill(text, width) -> str:
    """Text in lines of at most `width` ems, each as full as its words allow,
    broken between words only, as HTML."""
    return _html_lines(text, width, balance=False)


ANNOUNCES = re.compile(r"如下\s*[：:。.]?\s*$")


@register.filter
def announces(text: str) -> bool:
    """Whether the officer's opening already ends in the sentence that leads into
    the figures ("现将……通报如下："), so the document does not say it twice."""
    paras = paragraphs(text)
    return bool(paras) and bool(ANNOUNCES.search(paras[-1]))


SECOND_LEVEL = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
SENTENCE_END = re.compile(r"[。！？]")


@register.filter
def second_level(paragraph: str) -> tuple[str, str]:
    """A paragraph that opens with "（一）" and a short heading sentence
    ("（二）加强维护管理。已接入的医院……"), split into the heading, set in 楷体,
    and the rest. ("", paragraph) when it has no such heading."""
    marker = SECOND_LEVEL.match(paragraph)
    if not marker:
        return "", paragraph
    end = SENTENCE_END.search(paragraph, marker.end())
    cut = end.end() if end else len(paragraph)
    heading = paragraph[marker.end() : cut]
    if not heading or len(heading) > 25 or any(ch in heading for ch in "，,；;："):
        return "", paragraph
    return paragraph[:cut], paragraph[cut:]


@register.filter
def annotation(text: str) -> str:
    """附注: the contacts as one line in parentheses (GB/T 9704 7.3.6), however
    many lines the officer typed them on."""
    parts = [p.rstrip("，,；;。. ") for p in paragraphs(text)]
    note = pgettext("annotation", ", ").join(p for p in parts if p)
    if not note:
        return ""
    if note[0] in "（(" and note[-1] in "）)":
        return note
    return _("(%(note)s)") % {"note": note}
