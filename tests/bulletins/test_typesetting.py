"""The typesetting rules of the bulletin (GB/T 9704): where a title breaks, which
paragraphs open with a 楷体 heading, the 附注, and when the opening already
leads into the figures."""

import pytest
from django.utils.safestring import mark_safe

from apps.bulletins.templatetags.bulletins import (
    TITLE_WIDTH,
    annotation,
    announces,
    fill,
    header_lines,
    lines,
    second_level,
    text_width,
    title_lines,
)

TITLE = "信阳市卫生健康委员会关于2023年度第二季度全民健康信息平台互联互通工作的通报"
KEEP = ("信阳市卫生健康委员会", "信阳市", "信阳市全民健康信息平台", "2023年第二季度")


def breaks_inside(layout: list[str], word: str) -> bool:
    """Whether `word` occurs in the text but no single line holds it whole."""
    return word in "".join(layout) and not any(word in line for line in layout)


def test_the_title_breaks_between_words_in_a_diamond():
    layout = title_lines(TITLE, KEEP)
    assert layout == [
        "信阳市卫生健康委员会关于",
        "2023年度第二季度全民健康信息平台",
        "互联互通工作的通报",
    ]


@pytest.mark.parametrize(
    "title",
    [
        TITLE,
        "关于2023年第二季度河南省全民健康信息平台互联互通工作的通报",
        "信阳市卫生健康委员会关于2023年1-3月全民健康信息平台互联互通工作的通报",
        "信阳市卫生健康委员会关于进一步加强二级以上公立医院与全民健康信息平台互联互通数据质量工作的通报",
    ],
)
def test_no_title_line_breaks_inside_a_name_a_period_or_a_word(title):
    layout = title_lines(title, KEEP)
    assert "".join(layout) == title
    assert all(text_width(line) <= TITLE_WIDTH for line in layout)
    for word in ("信阳市卫生健康委员会", "全民健康信息平台", "互联互通", "平台", "的通报"):
        assert not breaks_inside(layout, word), (word, layout)
    for period in ("2023年度第二季度", "2023年第二季度", "2023年1-3月"):
        assert not breaks_inside(layout, period), (period, layout)


def test_a_title_is_never_an_hourglass():
    # The fewest lines are three; filled greedily they would be 12, 9 and 10 wide.
    title = "信阳市卫生健康委员会关于" + "互联互通工作" + "的通报" + "全民健康信息平台数据"
    layout = title_lines(title, ("信阳市卫生健康委员会",), width=12)
    widths = [text_width(line) for line in layout]
    assert len(layout) == 3
    assert not (widths[1] < widths[0] and widths[1] < widths[2]), layout


def test_a_short_title_is_one_line_and_an_empty_one_none():
    assert title_lines("关于互联互通的通报") == ["关于互联互通的通报"]
    assert title_lines("  ") == []


def test_a_word_longer_than_a_line_is_cut_where_the_line_is_full():
    layout = title_lines("某某县妇幼保健计划生育服务中心", width=6)
    assert layout == ["某某县妇幼保", "健计划生育服", "务中心"]


def test_a_cut_word_never_starts_a_line_with_a_closing_sign_nor_splits_a_number():
    # "）" alone on a line, as the header of a platform of 100 tables had it.
    assert title_lines("（共100张表）", width=6.1) == ["（共100张", "表）"]
    assert title_lines("第7市第10县", width=4.1) == ["第7市第", "10县"]


def test_a_header_is_measured_with_its_half_width_brackets():
    """The headers are set with "halt": "（共51张表）" is 5 ems wide, not 6, and
    fits the 17 mm column's 5.1; "（共100张表）" cannot, and breaks before "表）"."""
    assert text_width("（共51张表）", halt=True) == pytest.approx(5.1)
    assert header_lines("上传表数量（共51张表）", 5.1) == "上传表数量<br>（共51张表）"
    assert header_lines("上传表数量（共100张表）", 5.1) == "上传表数量<br>（共100张<br>表）"


def test_a_long_county_name_breaks_in_the_region_column():
    assert lines("潢川县", 4.1) == "潢川县"
    assert lines("鄂伦春自治旗", 4.1) == "鄂伦春<br>自治旗"
    assert lines("石林彝族自治县", 4.1) == "石林彝族<br>自治县"


def test_headers_break_into_two_balanced_lines_and_text_fills_its_lines():
    assert lines("最近上传日期", 5.9) == "最近上传<br>日期"
    assert lines("上传表数量（共51张表）", 6.1) == "上传表数量<br>（共51张表）"
    assert lines("未上传数据", 5.1) == "未上传数据"
    name = "信阳市医疗机构与全民健康信息平台互联互通情况统计"
    assert fill(name, 23) == "信阳市医疗机构与全民健康信息平台互联互通情况<br>统计"
    assert lines(name, 23) == "信阳市医疗机构与全民健康信息平台<br>互联互通情况统计"


def test_a_long_name_in_the_attachment_wraps_before_its_ending():
    assert lines("平顶山市鲁山县妇幼保健院", 11.1) == "平顶山市鲁山县<br>妇幼保健院"
    assert lines("信阳职业技术学院附属医院", 11.1) == "信阳职业技术学院<br>附属医院"
    assert lines("安阳市殷都区第二人民医院", 11.1) == "安阳市殷都区第二<br>人民医院"
    assert lines("信阳市第五人民医院", 11.1) == "信阳市第五人民医院"


def test_lines_escape_the_text_once():
    assert lines("<b>粗体</b>", 20) == "&lt;b&gt;粗体&lt;/b&gt;"
    # {% blocktranslate asvar %} hands over text it has escaped already.
    assert lines(mark_safe("A&amp;B医院"), 20) == "A&amp;B医院"


def test_a_second_level_heading_is_the_marker_and_a_short_first_sentence():
    assert second_level("（二）加强维护管理。已接入的医院，要安排专人维护。") == (
        "（二）加强维护管理。",
        "已接入的医院，要安排专人维护。",
    )
    assert second_level("（一）加快接入进度。") == ("（一）加快接入进度。", "")
    assert second_level("(三)加大督导力度") == ("(三)加大督导力度", "")


def test_a_long_first_sentence_or_no_marker_is_no_heading():
    sentence = "（一）各地各单位要统筹安排，加快推进公立医院接入市全民健康信息平台工作进度。"
    assert second_level(sentence) == ("", sentence)
    assert second_level("加强维护管理。已接入的医院") == ("", "加强维护管理。已接入的医院")


def test_the_annotation_is_the_contacts_in_one_pair_of_parentheses():
    assert (
        annotation("联系人：王某某\n电话：0376-6222222。")
        == "（联系人：王某某，电话：0376-6222222）"
    )
    assert annotation("（联系人：王某某）") == "（联系人：王某某）"
    assert annotation("") == ""


def test_an_opening_announces_the_figures_when_it_ends_in_such_a_sentence():
    assert announces("今年以来……\n现将有关情况通报如下：")
    assert announces("按照年度工作安排，现将有关情况通报如下。")
    assert not announces("今年以来，全市各级医疗机构推进互联互通。")
    assert not announces("现将有关情况通报如下：\n今年以来，全市各级医疗机构推进互联互通。")
    assert not announces("")
