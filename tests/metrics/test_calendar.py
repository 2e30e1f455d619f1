import datetime as dt

from apps.core.calendar import full_months, month_end

D = dt.date


def test_month_end():
    assert month_end(D(2024, 2, 10)) == D(2024, 2, 29)
    assert month_end(D(2023, 12, 31)) == D(2023, 12, 31)


def test_full_months():
    assert full_months(D(2023, 4, 1), D(2023, 6, 30)) == (D(2023, 4, 1), D(2023, 6, 1))
    assert full_months(D(2023, 3, 25), D(2023, 7, 5)) == (D(2023, 4, 1), D(2023, 6, 1))
    assert full_months(D(2023, 5, 3), D(2023, 5, 20)) is None
    assert full_months(D(2023, 5, 2), D(2023, 6, 29)) is None
    assert full_months(D(2023, 12, 1), D(2024, 1, 31)) == (D(2023, 12, 1), D(2024, 1, 1))
