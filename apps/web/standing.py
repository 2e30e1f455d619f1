"""A hospital's own standing on its page: the calendar of upload days, the trend
over the last four quarters and what to fix first. Figures come from the metrics
module; this module only arranges them."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from apps.core.sheets import Mark, Sheet
from apps.indicators.models import Indicator, Reference
from apps.metrics.anomalies import Anomaly
from apps.metrics.figures import (
    DayFigures,
    FiguresReader,
    InstitutionFigures,
    TableFigures,
    last_complete_day,
)
from apps.metrics.indicators import indicator_months, indicator_values
from apps.metrics.periods import Period
from apps.metrics.quality import QualityFigures
from apps.platforms.models import ConnectionStatus, Platform

QUARTERS_SHOWN = 4
# The indicators measured against a reference by default (metrics.md): shown on a
# hospital's page when it uploaded any, with "no reference" if it has none.
RATED_BY_DEFAULT = {
    "outpatient_visits",
    "discharges",
    "ehr_basic",
    "ehr_hypertension",
    "ehr_diabetes",
}
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


def upload_calendar(
    days: list[DayFigures], row: InstitutionFigures | None, through: dt.date | None = None
) -> list[CalendarMonth]:
    """The period's days month by month, Monday first. A day without records counts
    as a gap from the day the institution was connected until `through` (the last day
    the period's figures count: the data day, metrics.md), as interruption days do."""
    if not days:
        return []
    counted_until = through or last_complete_day()
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
    # One reader: the registry read once, the quarters' months in one query.
    reader = FiguresReader(institutions=institutions, platform=platform)
    reader.prefetch(quarters[-1].start, quarters[0].end)
    for q in reversed(quarters):
        figures = reader.figures(q.start, q.end).rows
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
    kind: str  # "table", "gap", "rejected", "quality", "anomaly"
    text: str


def fix_first(
    *,
    row: InstitutionFigures,
    tables: list[TableFigures],
    adoption: dict[str, int],
    connected_peers: int,
    gap: tuple[dt.date, dt.date] | None,
    scope: str = "",
    units: bool = False,
) -> list[FixItem]:
    """What to fix first: the missing tables most of the connected peers (of `scope`,
    全市 or 全省; `units` when they are a province's city platforms and hospitals)
    already upload — never one that none of them uploads —, the longest gap, and the
    tables with rejected records."""
    items = []
    missing = [t for t in tables if t.in_catalogue and not t.uploaded and adoption.get(t.code)]
    missing.sort(key=lambda t: (-adoption.get(t.code, 0), t.code))
    for t in missing[:FIX_FIRST_TABLES]:
        values = {
            "code": t.code,
            "name": t.name,
            "category": t.category or "—",
            "n": adoption.get(t.code, 0),
            "of": connected_peers,
            "scope": scope,
        }
        text = (
            _(
                "Upload table %(code)s %(name)s (%(category)s): %(n)s of the %(of)s "
                "connected units of %(scope)s upload it."
            )
            if units
            else _(
                "Upload table %(code)s %(name)s (%(category)s): %(n)s of the %(of)s "
                "connected institutions of %(scope)s upload it."
            )
        )
        items.append(FixItem("table", text % values))
    if gap and row.longest_gap:
        text = (
            _("No records on %(day)s (1 day): find the cause.") % {"day": gap[0]}
            if gap[0] == gap[1]
            else _("No records for %(days)s days in a row, %(first)s to %(last)s: find the cause.")
            % {"days": row.longest_gap, "first": gap[0], "last": gap[1]}
        )
        items.append(FixItem("gap", text))
    for t in sorted((t for t in tables if t.rejected), key=lambda t: (-t.rejected, t.code))[:3]:
        items.append(
            FixItem(
                "rejected",
                _("%(rejected)s records of table %(code)s %(name)s were rejected by validation.")
                % {"rejected": f"{t.rejected:,}", "code": t.code, "name": t.name or ""},
            )
        )
    return items


QUALITY_FIXES = 3
ANOMALY_FIXES = 3


def day_kind_label(anomaly: Anomaly) -> str:
    return str(_("Working day") if anomaly.working_day else _("Rest day"))


def anomalies_sheet(anomalies: list[Anomaly], note: str = "") -> Sheet:
    """The institution's days of the period out of line with its own baseline."""
    sheet = Sheet(
        "anomalies",
        _("Volume drops and rises"),
        [
            _("Day"),
            _("Kind of day"),
            _("Direction"),
            _("Records"),
            _("Usual (median of 28 upload days of the kind)"),
            _("Share of usual (%)"),
            _("Modified z-score"),
        ],
        numeric=frozenset({3, 4, 5, 6}),
        empty_text=_("No day of the period is out of line with its institution's own."),
        note=note,
    )
    for a in anomalies:
        sheet.rows.append(
            [
                a.day,
                day_kind_label(a),
                Mark(
                    _("Drop") if a.drop else _("Rise"),
                    "badge text-bg-danger" if a.drop else "badge text-bg-warning",
                ),
                a.records,
                a.median,
                a.share,
                a.z,
            ]
        )
    return sheet


def anomaly_fixes(anomalies: list[Anomaly]) -> list[FixItem]:
    """The latest drops: days the hospital uploaded far less than it usually does
    (an interface that half works is no silence, and no alert of silence sees it)."""
    drops = [a for a in anomalies if a.drop][-ANOMALY_FIXES:]
    return [
        FixItem(
            "anomaly",
            _(
                "On %(day)s only %(records)s records arrived, %(share)s%% of the usual "
                "%(usual)s: check that every interface still sends."
            )
            % {
                "day": a.day,
                "records": f"{a.records:,}",
                "share": a.share,
                "usual": f"{a.median:,.0f}",
            },
        )
        for a in reversed(drops)
    ]


def quality_fixes(quality: QualityFigures | None, rules: dict[str, str]) -> list[FixItem]:
    """The quality rules that failed the most records in the period (at most three),
    each with its pass rate: what the hospital's developers look at first."""
    if quality is None:
        return []
    failing = sorted(
        ((code, c) for code, c in quality.rules.items() if c.failed),
        key=lambda item: (-item[1].failed, item[0]),
    )
    return [
        FixItem(
            "quality",
            _(
                "Quality rule %(code)s %(name)s: %(failed)s of %(checked)s records checked "
                "failed it (pass rate %(rate)s%%)."
            )
            % {
                "code": code,
                "name": rules.get(code, ""),
                "failed": f"{counts.failed:,}",
                "checked": f"{counts.checked:,}",
                "rate": counts.rate,
            },
        )
        for code, counts in failing[:QUALITY_FIXES]
    ]


# ---------------------------------------------------------------------------
# Upload rates (上传率) against the references
# ---------------------------------------------------------------------------

RATE_MONTHS_SHOWN = 12


@dataclass
class HospitalRates:
    """The hospital's upload rates on its page: the period's (with the period
    before), the months up to the period's end, and the indicators whose rate
    cannot be computed for want of a reference."""

    sheet: Sheet
    months: Sheet
    missing: list[str]

    @property
    def shown(self) -> bool:
        return bool(self.sheet.rows)


def _rate_cell(value):
    """A rate as the sheet shows it: over 100 flagged, none as —."""
    if value is None:
        return None
    if value.over_reference:
        return Mark(value.rate, "text-danger fw-semibold", title=_("Above the reference"))
    return value.rate


def hospital_rates(*, institutions, platform: Platform, period: Period) -> HospitalRates:
    """Rates of the indicators this institution has references for, or that the
    commission measures by default (visits, discharges, health records), if it
    uploaded any. One implementation of the rates: apps.metrics.indicators."""
    institution = institutions.get()
    referenced = set(
        Reference.objects.filter(platform=platform, institution=institution).values_list(
            "indicator_id", flat=True
        )
    )
    candidates = [
        i for i in Indicator.objects.all() if i.pk in referenced or i.code in RATED_BY_DEFAULT
    ]

    def values_of(p: Period):
        return indicator_values(
            institutions=institutions,
            platform=platform,
            start=p.start,
            end=p.end,
            indicators=candidates,
        ).get(institution.pk, {})

    now, before = values_of(period), values_of(period.previous())
    shown = [i for i in candidates if i.pk in referenced or (now.get(i.code) and now[i.code].value)]
    sheet = Sheet(
        "rates",
        _("Upload rates"),
        [
            _("Indicator"),
            _("Uploaded"),
            _("Reference"),
            _("Upload rate (%)"),
            _("Previous period (%)"),
            _("Change (points)"),
        ],
        numeric=frozenset({1, 2, 3, 4, 5}),
        empty_text=_("No indicator with a reference."),
    )
    missing = []
    for indicator in shown:
        value, earlier = now.get(indicator.code), before.get(indicator.code)
        change = (
            value.rate - earlier.rate
            if value and earlier and value.rate is not None and earlier.rate is not None
            else None
        )
        sheet.rows.append(
            [
                indicator.name,
                value.value if value else None,
                value.reference if value else None,
                _rate_cell(value),
                _rate_cell(earlier),
                Mark(change, "text-success" if change >= 0 else "text-danger")
                if change is not None
                else None,
            ]
        )
        if value is None or value.reference is None:
            missing.append(indicator.name)
    months = period.months_to_end(RATE_MONTHS_SHOWN)
    rated = [i for i in shown if i.pk in referenced]
    month_sheet = Sheet(
        "rate-months",
        _("Upload rates by month (%)"),
        [_("Month"), *[i.name for i in rated]],
        numeric=frozenset(range(1, len(rated) + 1)),
    )
    series = indicator_months(
        institutions=institutions,
        platform=platform,
        months=[m.start for m in months],
        indicators=rated,
    )
    for month in months:
        values = series[month.start].get(institution.pk, {})
        month_sheet.rows.append([month.label, *[_rate_cell(values.get(i.code)) for i in rated]])
    return HospitalRates(sheet, month_sheet, missing)
