"""A hospital's own standing on its page: the calendar of upload days, the trend
over the last four quarters and what to fix first. Figures come from the metrics
module; this module only arranges them."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from apps.core.sheets import Sheet
from apps.metrics.figures import (
    DayFigures,
    InstitutionFigures,
    TableFigures,
    last_complete_day,
    period_figures,
)
from apps.metrics.periods import Period
from apps.platforms.models import ConnectionStatus, Platform

QUARTERS_SHOWN = 4
FIX_FIRST_TABLES = 5
WEEKDAY_INITIALS = [
    pgettext_lazy("calendar heading", "Mo"),
    pgettext_lazy("calendar heading", "Tu"),
    pgettext_lazy("calendar heading", "We"),
    pgettext_lazy("calendar heading", "Th"),
    pgettext_lazy("calendar heading", "Fr"),
    pgettext_lazy("calendar heading", "Sa"),
    pgettext_lazy("calendar heading", "Su"),
]


@dataclass
class CalendarDay:
    day: dt.date | None  # None pads the first and last week
    state: str = ""  # "upload", "gap" (connected, no records), "idle" (not counted)
    records: int = 0


@dataclass
class CalendarMonth:
    label: str
    weeks: list[list[CalendarDay]]


def upload_calendar(days: list[DayFigures], row: InstitutionFigures | None) -> list[CalendarMonth]:
    """The period's days month by month, Monday first. A day without records counts
    as a gap from the day the institution was connected until the last complete day,
    as interruption days do (metrics.md)."""
    if not days:
        return []
    counted_until = last_complete_day()
    connected = row is not None and row.connection_status == ConnectionStatus.CONNECTED
    since = row.connected_since if row else None
    by_day = {d.day: d for d in days}
    months = []
    first, last = days[0].day, days[-1].day
    year, month = first.year, first.month
    while dt.date(year, month, 1) <= last:
        weeks = []
        for week in calendar.Calendar().monthdatescalendar(year, month):
            cells = []
            for day in week:
                figures = by_day.get(day) if day.month == month else None
                if figures is None:
                    cells.append(CalendarDay(None))
                elif figures.records:
                    cells.append(CalendarDay(day, "upload", figures.records))
                elif connected and (since is None or day >= since) and day <= counted_until:
                    cells.append(CalendarDay(day, "gap"))
                else:
                    cells.append(CalendarDay(day, "idle"))
            weeks.append(cells)
        months.append(
            CalendarMonth(_("%(year)d-%(month)02d") % {"year": year, "month": month}, weeks)
        )
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return months


def longest_gap_dates(days: list[DayFigures], months: list[CalendarMonth]):
    """(first day, last day) of the longest run of gap days, or None."""
    gaps = {c.day for m in months for w in m.weeks for c in w if c.state == "gap"}
    best = run_start = None
    best_len = run = 0
    for d in days:
        if d.day in gaps:
            run_start = d.day if run == 0 else run_start
            run += 1
            if run > best_len:
                best, best_len = (run_start, d.day), run
        else:
            run = 0
    return best


def quarter_trend(*, institutions, platform: Platform, period: Period, query: str = "") -> Sheet:
    """The institution's figures for the last four quarters up to the period's end."""
    quarter = Period.containing_quarter(period.end)
    quarters = []
    for _index in range(QUARTERS_SHOWN):
        quarters.append(quarter)
        quarter = quarter.previous_quarter()
    rows = []
    for q in reversed(quarters):
        figures = period_figures(
            institutions=institutions, platform=platform, start=q.start, end=q.end
        ).rows
        if not figures:
            continue
        r = figures[0]
        rows.append(
            [
                q.label,
                r.tier_label,
                r.tables_uploaded,
                r.completeness,
                r.records,
                r.interruption_days,
                r.score,
            ]
        )
    return Sheet(
        "trend",
        _("The last four quarters"),
        [
            _("Quarter"),
            _("Tier"),
            _("Tables uploaded"),
            _("Completeness (%)"),
            _("Records uploaded"),
            _("Interruption days"),
            _("Score"),
        ],
        rows,
        numeric=frozenset({2, 3, 4, 5, 6}),
    )


@dataclass
class FixItem:
    kind: str  # "table", "gap", "rejected"
    text: str


def fix_first(
    *,
    row: InstitutionFigures,
    tables: list[TableFigures],
    adoption: dict[str, int],
    connected_peers: int,
    gap: tuple[dt.date, dt.date] | None,
) -> list[FixItem]:
    """What to fix first: the missing tables most of the city's connected
    institutions already upload, the longest gap, and the tables with rejected records."""
    items = []
    missing = [t for t in tables if t.in_catalogue and not t.uploaded]
    missing.sort(key=lambda t: (-adoption.get(t.code, 0), t.code))
    for t in missing[:FIX_FIRST_TABLES]:
        items.append(
            FixItem(
                "table",
                _(
                    "Upload table %(code)s %(name)s (%(category)s): %(n)s of the city's "
                    "%(of)s connected institutions upload it."
                )
                % {
                    "code": t.code,
                    "name": t.name,
                    "category": t.category or "—",
                    "n": adoption.get(t.code, 0),
                    "of": connected_peers,
                },
            )
        )
    if gap and row.longest_gap:
        items.append(
            FixItem(
                "gap",
                _("No records for %(days)s days in a row, %(first)s to %(last)s: find the cause.")
                % {"days": row.longest_gap, "first": gap[0], "last": gap[1]},
            )
        )
    for t in sorted((t for t in tables if t.rejected), key=lambda t: (-t.rejected, t.code))[:3]:
        items.append(
            FixItem(
                "rejected",
                _("%(rejected)s records of table %(code)s %(name)s were rejected by validation.")
                % {"rejected": f"{t.rejected:,}", "code": t.code, "name": t.name or ""},
            )
        )
    return items
