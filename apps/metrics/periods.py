"""Periods the portal offers: quarters (2023Q2), months (2023-05), half-years
(2023H1), years (2023) and any range of days (2023-04-01~2023-05-15).

Years run from 2000 to 2099: a key outside them, or one that is not a period at
all, raises `PeriodInvalid` with a message the user can read."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.calendar import month_end

MIN_YEAR, MAX_YEAR = 2000, 2099
QUARTER_NAMES = {
    1: gettext_lazy("Q1"),
    2: gettext_lazy("Q2"),
    3: gettext_lazy("Q3"),
    4: gettext_lazy("Q4"),
}
HALF_NAMES = {1: gettext_lazy("first half"), 2: gettext_lazy("second half")}
_QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$", re.ASCII)
_HALF_RE = re.compile(r"^(\d{4})H([12])$", re.ASCII)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_YEAR_RE = re.compile(r"^(\d{4})$", re.ASCII)
_RANGE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})~(\d{4}-\d{2}-\d{2})$", re.ASCII)


class PeriodInvalid(ValueError):
    """A period the portal cannot show; the message says why, in Chinese."""


def check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodInvalid(
            _("The year %(year)d is outside the years the portal covers (%(min)d–%(max)d).")
            % {"year": year, "min": MIN_YEAR, "max": MAX_YEAR}
        )


def check_day(day: dt.date) -> dt.date:
    """`day` itself, or PeriodInvalid when its year is outside 2000–2099."""
    check_year(day.year)
    return day


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
    def half(cls, year: int, h: int) -> Period:
        start = dt.date(year, 6 * h - 5, 1)
        end = month_end(dt.date(year, 6 * h, 1))
        label = _("%(half)s of %(year)d") % {"half": HALF_NAMES[h], "year": year}
        return cls(f"{year}H{h}", start, end, label)

    @classmethod
    def month(cls, year: int, m: int) -> Period:
        label = _("%(year)d-%(month)02d") % {"year": year, "month": m}
        return cls(f"{year}-{m:02d}", dt.date(year, m, 1), month_end(dt.date(year, m, 1)), label)

    @classmethod
    def year(cls, year: int) -> Period:
        label = _("Year %(year)d") % {"year": year}
        return cls(str(year), dt.date(year, 1, 1), dt.date(year, 12, 31), label)

    @classmethod
    def between(cls, start: dt.date, end: dt.date) -> Period:
        """Any range of days, both included."""
        label = _("%(start)s to %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
        return cls(f"{start.isoformat()}~{end.isoformat()}", start, end, label)

    @classmethod
    def parse(cls, key: str) -> Period:
        """The period of a key; PeriodInvalid for a malformed key or a year outside
        2000–2099."""
        key = (key or "").strip()
        if match := _QUARTER_RE.match(key):
            check_year(int(match[1]))
            return cls.quarter(int(match[1]), int(match[2]))
        if match := _HALF_RE.match(key):
            check_year(int(match[1]))
            return cls.half(int(match[1]), int(match[2]))
        if (match := _MONTH_RE.match(key)) and 1 <= int(match[2]) <= 12:
            check_year(int(match[1]))
            return cls.month(int(match[1]), int(match[2]))
        if match := _YEAR_RE.match(key):
            check_year(int(match[1]))
            return cls.year(int(match[1]))
        if match := _RANGE_RE.match(key):
            try:
                start, end = (dt.date.fromisoformat(match[i]) for i in (1, 2))
            except ValueError:
                raise PeriodInvalid(
                    _("“%(key)s” is not a range of real days.") % {"key": key}
                ) from None
            check_year(start.year)
            check_year(end.year)
            if end < start:
                raise PeriodInvalid(_("The end of the range is before its start."))
            return cls.between(start, end)
        raise PeriodInvalid(
            _(
                "“%(key)s” is not a period: use a year (2023), a half-year (2023H1), a "
                "quarter (2023Q2), a month (2023-05) or a range (2023-04-01~2023-05-15)."
            )
            % {"key": key[:40]}
        )

    @classmethod
    def containing_quarter(cls, day: dt.date) -> Period:
        return cls.quarter(day.year, (day.month - 1) // 3 + 1)

    @property
    def kind(self) -> str:
        """quarter, half, month, year or range."""
        for kind, pattern in (
            ("quarter", _QUARTER_RE),
            ("half", _HALF_RE),
            ("month", _MONTH_RE),
            ("year", _YEAR_RE),
        ):
            if pattern.match(self.key):
                return kind
        return "range"

    def previous_quarter(self) -> Period:
        return Period.containing_quarter(self.start - dt.timedelta(days=1))

    def previous(self) -> Period:
        """The period of the same kind just before this one (for a range, as many
        days just before it)."""
        day = self.start - dt.timedelta(days=1)
        kind = self.kind
        if kind == "quarter":
            return Period.containing_quarter(day)
        if kind == "half":
            return Period.half(day.year, 1 if day.month <= 6 else 2)
        if kind == "month":
            return Period.month(day.year, day.month)
        if kind == "year":
            return Period.year(day.year)
        return Period.between(day - (self.end - self.start), day)

    def months_to_end(self, count: int) -> list[Period]:
        """The `count` months ending with the month of this period's end, oldest first."""
        year, month = self.end.year, self.end.month
        months = []
        for _index in range(count):
            months.append(Period.month(year, month))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return months[::-1]

    def overlaps(self, first: dt.date | None, last: dt.date | None) -> bool:
        """Whether any day of the period lies between `first` and `last`."""
        return first is not None and last is not None and self.start <= last and self.end >= first


def long_date(day: dt.date) -> str:
    """2016-04-30 → 2016年4月30日 (the date style of official documents)."""
    return _("%(y)d-%(m)d-%(d)d") % {"y": day.year, "m": day.month, "d": day.day}


def through_label(label: str, end: dt.date, through: dt.date | None) -> str:
    """A period's label, and the day its figures stop where that is before its end
    (metrics.md, data day): 2016年第二季度（截至2016年4月30日）."""
    if through is None or through >= end:
        return label
    return _("%(period)s (to %(day)s)") % {"period": label, "day": long_date(through)}


def default_period(latest_data_day: dt.date | None, today: dt.date | None = None) -> Period:
    """The latest full (ended) quarter with data; with no data, the last ended quarter."""
    today = today or timezone.localdate()
    last_ended = Period.containing_quarter(today).previous_quarter()
    if latest_data_day is None:
        return last_ended
    quarter = Period.containing_quarter(min(latest_data_day, last_ended.end))
    return quarter


@dataclass(frozen=True)
class PeriodGroup:
    label: str
    periods: list[Period]


def period_groups(
    first_day: dt.date | None, last_day: dt.date | None, today: dt.date | None = None
) -> list[PeriodGroup]:
    """Every quarter, half-year, year and month holding a day from the first to
    the last day with data (newest first in each group); with no data, the last
    ended quarter."""
    today = today or timezone.localdate()
    last = last_day or Period.containing_quarter(today).previous_quarter().end
    first = first_day or last
    quarters, halves, years, months = [], [], [], []
    for year in range(last.year, first.year - 1, -1):
        years.append(Period.year(year))
        halves.extend(Period.half(year, h) for h in (2, 1))
        quarters.extend(Period.quarter(year, q) for q in (4, 3, 2, 1))
        months.extend(Period.month(year, m) for m in range(12, 0, -1))

    def holding(periods: list[Period]) -> list[Period]:
        return [p for p in periods if p.overlaps(first, last)]

    return [
        PeriodGroup(_("Quarters"), holding(quarters)),
        PeriodGroup(_("Half-years"), holding(halves)),
        PeriodGroup(_("Years"), holding(years)),
        PeriodGroup(_("Months"), holding(months)),
    ]
