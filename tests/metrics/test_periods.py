import datetime as dt

import pytest

from apps.metrics.periods import Period, PeriodInvalid, default_period, period_groups

D = dt.date


def test_parse_every_kind_of_period():
    assert Period.parse("2023Q2") == Period(
        "2023Q2", D(2023, 4, 1), D(2023, 6, 30), "2023年第二季度"
    )
    assert Period.parse("2024-02").end == D(2024, 2, 29)
    assert Period.parse("2023-12").end == D(2023, 12, 31)
    assert (Period.parse("2023H1").start, Period.parse("2023H1").end) == (
        D(2023, 1, 1),
        D(2023, 6, 30),
    )
    assert Period.parse("2023H2").label == "2023年下半年"
    assert Period.parse("2023").label == "2023年度"
    custom = Period.parse("2023-04-05~2023-05-15")
    assert (custom.start, custom.end, custom.kind) == (D(2023, 4, 5), D(2023, 5, 15), "range")
    assert custom.label == "2023-04-05至2023-05-15"


@pytest.mark.parametrize(
    "bad",
    ["2023Q5", "2023-13", "", "Q2", "2023-1", "2023H3", "x", "2023-02-30~2023-03-01", "２０２３"],
)
def test_malformed_keys_are_refused_with_a_reason(bad):
    with pytest.raises(PeriodInvalid) as refused:
        Period.parse(bad)
    assert "2023Q2" in str(refused.value) or "日期" in str(refused.value)


@pytest.mark.parametrize(
    "key", ["0000", "9999Q4", "9999-12", "0001Q1", "1999", "2100H1", "1999-12-31~2000-01-05"]
)
def test_years_outside_2000_to_2099_are_refused(key):
    with pytest.raises(PeriodInvalid) as refused:
        Period.parse(key)
    assert "2000–2099" in str(refused.value)


def test_a_range_must_not_end_before_it_starts():
    with pytest.raises(PeriodInvalid):
        Period.parse("2023-05-01~2023-04-30")


def test_previous_period_of_each_kind():
    assert Period.parse("2023Q1").previous().key == "2022Q4"
    assert Period.parse("2023H1").previous().key == "2022H2"
    assert Period.parse("2023H2").previous().key == "2023H1"
    assert Period.parse("2023-01").previous().key == "2022-12"
    assert Period.parse("2023").previous().key == "2022"
    assert Period.parse("2023-04-11~2023-04-20").previous().key == "2023-04-01~2023-04-10"


def test_default_is_latest_full_quarter_with_data():
    today = D(2026, 11, 23)
    assert default_period(D(2023, 6, 30), today).key == "2023Q2"
    assert default_period(D(2023, 7, 5), today).key == "2023Q3"
    # Data up to yesterday: the current quarter is not full yet.
    assert default_period(D(2026, 11, 22), today).key == "2026Q3"
    assert default_period(None, today).key == "2026Q3"


def test_choices_offer_every_period_holding_data():
    groups = period_groups(D(2022, 11, 15), D(2023, 6, 30), D(2026, 1, 1))
    keys = {g.label: [p.key for p in g.periods] for g in groups}
    assert keys == {
        "季度": ["2023Q2", "2023Q1", "2022Q4"],
        "半年": ["2023H1", "2022H2"],
        "年度": ["2023", "2022"],
        "月份": [
            "2023-06",
            "2023-05",
            "2023-04",
            "2023-03",
            "2023-02",
            "2023-01",
            "2022-12",
            "2022-11",
        ],
    }


def test_without_data_the_choices_are_the_last_ended_quarter():
    groups = period_groups(None, None, D(2026, 1, 15))
    assert [p.key for p in groups[0].periods] == ["2025Q4"]
