"""Every figure of ../shared/metrics.md, asked for in one place.

`period_figures` answers for any period, platform and set of institutions with a
fixed number of queries, whatever the number of institutions; pages, the API and
bulletins all read its result objects and compute nothing themselves. What a
figure is: `formulas`; how it is read fast: `reading`; here, the cached entry
points and one institution's tables, days and standing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet, Sum

from apps.core.calendar import full_months
from apps.core.collector import collector_paused
from apps.institutions.models import Institution
from apps.platforms.models import Platform
from apps.regions.models import Region
from apps.uploads.models import DailyTotal, DailyUpload

from .definitions import DEFAULT, Definitions
from .formulas import (  # noqa: F401 (the public names of the figures, asked for here)
    Continuity,
    InstitutionFigures,
    PeriodFigures,
    Summary,
    Tier,
    assessing_paths,
    counted_through,
    data_day,
    edition_in_force,
    figures_compute,
    last_complete_day,
    percent,
    period_heading,
    rank_by_score,
    table_adoption,
)
from .reading import (  # noqa: F401
    Registry,
    as_date,
    cache_key,
    data_span,
    fetch_rows,
    month_rows_read,
    platform_editions,
    registry_read,
)


def period_figures(
    *,
    institutions: QuerySet[Institution],
    platform: Platform,
    start: dt.date,
    end: dt.date,
    definitions: Definitions = DEFAULT,
    with_scores: bool = True,
) -> PeriodFigures:
    """The figures of every active institution of `institutions` for start..end.

    Cached (settings.HIPWATCH_FIGURES_CACHE_SECONDS) under the data version, the
    query that selects the institutions and the arguments: any change to what a
    figure reads moves the version (apps/core/versioning.py), so a cached answer is
    always the one a fresh computation would give."""
    if end < start:
        raise ValueError("end before start")
    reader = FiguresReader(institutions=institutions, platform=platform, definitions=definitions)
    return reader.figures(start, end, with_scores=with_scores)


class FiguresReader:
    """`period_figures` for several periods of the same institutions and platform
    (a dashboard's period, the one before it and its months): each period cached
    under the same key as `period_figures`, the registry read once for all those
    not cached. `summary` caches only the small summary (a province's month of
    figures takes 70 ms to pickle)."""

    def __init__(
        self,
        *,
        institutions: QuerySet[Institution],
        platform: Platform,
        definitions: Definitions = DEFAULT,
    ):
        self.scope = institutions.filter(active=True)
        self.platform = platform
        self.definitions = definitions
        self._registry: Registry | None = None
        self._span: tuple[dt.date, dt.date] | None = None
        self._months: dict[dt.date, list[tuple]] | None = None

    def prefetch(self, start: dt.date, end: dt.date) -> None:
        """The whole months of start..end, which several of the periods to be read
        share (a dashboard's quarter, the one before and their months), read in one
        query when the first of them is computed rather than once per period."""
        self._span = full_months(start, end)

    def _month_rows(self, platform, ids, first: dt.date, last: dt.date) -> list[tuple]:
        span = self._span
        if span is None or first < span[0] or last > span[1]:
            return month_rows_read(platform, ids, first, last)
        if self._months is None:
            self._months = defaultdict(list)
            for row in month_rows_read(platform, ids, *span):
                self._months[as_date(row[1])].append(row)
        return [
            row for month, rows in self._months.items() if first <= month <= last for row in rows
        ]

    def _compute(
        self, start: dt.date, end: dt.date, with_scores: bool, summary_only: bool = False
    ) -> PeriodFigures:
        if end < start:
            raise ValueError("end before start")
        if self._registry is None:
            self._registry = registry_read(self.scope, self.platform)
        return figures_compute(
            self.scope,
            self.platform,
            start,
            end,
            self.definitions,
            with_scores,
            self._registry,
            self._month_rows,
            summary_only,
        )

    def figures(self, start: dt.date, end: dt.date, *, with_scores: bool = True) -> PeriodFigures:
        key = cache_key(
            "figures", self.scope, self.platform, start, end, self.definitions, with_scores
        )
        figures = cache.get(key)
        if figures is None:
            with collector_paused():  # a province's rows, tuples and figures: see there
                figures = self._compute(start, end, with_scores)
                cache.set(key, figures, settings.HIPWATCH_FIGURES_CACHE_SECONDS)
        return figures

    def summary(self, start: dt.date, end: dt.date) -> Summary:
        key = cache_key("summary", self.scope, self.platform, start, end, self.definitions)
        summary = cache.get(key)
        if summary is None:
            with collector_paused():
                summary = self._compute(start, end, False, summary_only=True).summary
                cache.set(key, summary, settings.HIPWATCH_FIGURES_CACHE_SECONDS)
        return summary


@dataclass
class TableFigures:
    code: str
    name: str
    category: str
    in_catalogue: bool
    records: int
    rejected: int
    upload_days: int
    last_upload_date: dt.date | None

    @property
    def uploaded(self) -> bool:
        return self.records > 0


def institution_tables(
    *, figures: InstitutionFigures, platform: Platform, start: dt.date, end: dt.date
) -> list[TableFigures]:
    """Per table for one institution: every required table (uploaded or missing)
    and every other table it sent, catalogue tables first."""
    catalogue = list(figures.edition.tables.order_by("id")) if figures.edition else []
    # One aggregate: per table, its records, rejected, days with records and the last.
    sent = Q(records__gt=0)
    stats = {
        row["table_code"]: row
        for row in DailyUpload.objects.filter(
            platform=platform, institution=figures.institution, day__gte=start, day__lte=end
        )
        .values("table_code")
        .annotate(
            r=Sum("records"),
            x=Sum("rejected"),
            last=Max("day", filter=sent),
            d=Count("day", filter=sent),
        )
    }

    def build(code: str, name: str, category: str, known: bool) -> TableFigures:
        s = stats.get(code, {})
        return TableFigures(
            code=code,
            name=name,
            category=category,
            in_catalogue=known,
            records=s.get("r") or 0,
            rejected=s.get("x") or 0,
            upload_days=s.get("d") or 0,
            last_upload_date=as_date(s["last"]) if s.get("last") else None,
        )

    result = [build(t.code, t.name, t.category, True) for t in catalogue]
    known = {t.code for t in catalogue}
    result += [build(code, "", "", False) for code in sorted(stats) if code not in known]
    return result


@dataclass
class DayFigures:
    day: dt.date
    records: int
    rejected: int
    tables: int


def institution_days(
    *, institution: Institution, platform: Platform, start: dt.date, end: dt.date
) -> list[DayFigures]:
    """Every day of the period for one institution, days without uploads included."""
    totals = {
        t.day: t
        for t in DailyTotal.objects.filter(
            platform=platform, institution=institution, day__gte=start, day__lte=end
        )
    }
    result = []
    day = start
    while day <= end:
        t = totals.get(day)
        result.append(
            DayFigures(day, t.records if t else 0, t.rejected if t else 0, t.tables if t else 0)
        )
        day += dt.timedelta(days=1)
    return result


@dataclass
class Standing:
    """Where one institution stands among the institutions the commission assesses
    (its city's, or a province platform's province): rank by score overall and
    within its category (ties share a rank), each among those that have a score."""

    rank: int | None
    of: int
    category_rank: int | None
    category_of: int
    peers: PeriodFigures
    # The region of the assessing commission, and whether its peers are units (a
    # province platform's city platforms and province hospitals) or institutions.
    scope: Region | None = None
    units: bool = False


def institution_standing(
    *, institution: Institution, platform: Platform, start: dt.date, end: dt.date
) -> Standing:
    """The institution's rank by score among the active institutions of its city
    (the region whose commission assesses it) and among those of its category.
    The peers' figures are read here only to rank; pages show the ranks alone."""
    path = assessing_paths([institution.region], platform)[institution.region.code]
    scope = Region.objects.filter(path=path).first()
    peers = period_figures(
        institutions=Institution.objects.filter(region__path__startswith=path),
        platform=platform,
        start=start,
        end=end,
    )

    def position(rows):
        ranked = rank_by_score(rows)
        rank = next((r for r, row in ranked if row.institution.pk == institution.pk), None)
        return rank, sum(1 for r, _row in ranked if r is not None)

    rank, of = position(peers.rows)
    category_rank, category_of = position(
        [r for r in peers.rows if r.institution.category == institution.category]
    )
    return Standing(
        rank,
        of,
        category_rank,
        category_of,
        peers,
        scope=scope,
        units=platform.level == Platform.Level.PROVINCE,
    )
