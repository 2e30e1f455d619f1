"""Periods the portal offers: quarters (2023Q2) and months (2023-05)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.calendar import month_end

QUARTER_NAMES = {
    1: gettext_lazy("Q1"),
    2: gettext_lazy("Q2"),
    3: gettext_lazy("Q3"),
    4: gettext_lazy("Q4"),
}
_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR_RE = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date
    end: dt.date
    label: str

    @classmethod
    def quarter(cls, year: int, q: int) -> Period:
        start = dt.date(year, 3 * q - 2, 1)
        end = month_end(dt.date(year, 3 * q, 1))
        label = _("%(quarter)s %(year)d") % {"quarter": QUARTER_NAMES[q], "year": year}
        return cls(f"{year}Q{q}", start, end, label)

    @classmethod
    def month(cls, year: int, m: int) -> Period:
        label = _("%(year)d-%(month)02d") % {"year": year, "month": m}
        return cls(f"{year}-{m:02d}", dt.date(year, m, 1), month_end(dt.date(year, m, 1)), label)

    @classmethod
    def year(cls, year: int) -> Period:
        label = _("Year %(year)d") % {"year": year}
        return cls(str(year), dt.date(year, 1, 1), dt.date(year, 12, 31), label)

    @classmethod
    def parse(cls, key: str) -> Period | None:
        if match := _QUARTER_RE.match(key or ""):
            return cls.quarter(int(match[1]), int(match[2]))
        if (match := _MONTH_RE.match(key or "")) and 1 <= int(match[2]) <= 12:
            return cls.month(int(match[1]), int(match[2]))
        if match := _YEAR_RE.match(key or ""):
            return cls.year(int(match[1]))
        return None

    @classmethod
    def containing_quarter(cls, day: dt.date) -> Period:
        return cls.quarter(day.year, (day.month - 1) // 3 + 1)

    def previous_quarter(self) -> Period:
        return Period.containing_quarter(self.start - dt.timedelta(days=1))

    def previous(self) -> Period:
        """The period of the same kind just before this one (quarter, month or year)."""
        day = self.start - dt.timedelta(days=1)
        if _QUARTER_RE.match(self.key):
            return Period.containing_quarter(day)
        if _MONTH_RE.match(self.key):
            return Period.month(day.year, day.month)
        return Period.year(day.year)

    def months_to_end(self, count: int) -> list[Period]:
        """The `count` months ending with the month of this period's end, oldest first."""
        year, month = self.end.year, self.end.month
        months = []
        for _index in range(count):
            months.append(Period.month(year, month))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return months[::-1]


def default_period(latest_data_day: dt.date | None, today: dt.date | None = None) -> Period:
    """The latest full (ended) quarter with data; with no data, the last ended quarter."""
    today = today or timezone.localdate()
    last_ended = Period.containing_quarter(today).previous_quarter()
    if latest_data_day is None:
        return last_ended
    quarter = Period.containing_quarter(min(latest_data_day, last_ended.end))
    return quarter


def period_choices(
    first_day: dt.date | None, last_day: dt.date | None, today: dt.date | None = None
) -> list[Period]:
    """Quarters and months from the first to the last day with data (newest first),
    at least the last ended quarter."""
    today = today or timezone.localdate()
    last = last_day or Period.containing_quarter(today).previous_quarter().end
    first = first_day or last
    quarters, months = [], []
    q = Period.containing_quarter(last)
    while q.end >= first:
        quarters.append(q)
        q = q.previous_quarter()
    year, month = last.year, last.month
    while dt.date(year, month, 1) >= dt.date(first.year, first.month, 1):
        months.append(Period.month(year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return quarters + months
