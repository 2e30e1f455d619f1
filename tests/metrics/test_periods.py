import datetime as dt

from apps.metrics.periods import Period, default_period, period_choices

D = dt.date


def test_parse_quarters_and_months():
    assert Period.parse("2023Q2") == Period(
        "2023Q2", D(2023, 4, 1), D(2023, 6, 30), "2023年第二季度"
    )
    assert Period.parse("2024-02").end == D(2024, 2, 29)
    assert Period.parse("2023-12").end == D(2023, 12, 31)
    for bad in ("2023Q5", "2023-13", "", "Q2", "2023-1"):
        assert Period.parse(bad) is None


def test_default_is_latest_full_quarter_with_data():
    today = D(2026, 11, 23)
    assert default_period(D(2023, 6, 30), today).key == "2023Q2"
    assert default_period(D(2023, 7, 5), today).key == "2023Q3"
    # Data up to yesterday: the current quarter is not full yet.
    assert default_period(D(2026, 11, 22), today).key == "2026Q3"
    assert default_period(None, today).key == "2026Q3"


def test_choices_span_the_data():
    keys = [p.key for p in period_choices(D(2023, 4, 1), D(2023, 6, 30), D(2026, 1, 1))]
    assert keys == ["2023Q2", "2023-06", "2023-05", "2023-04"]
