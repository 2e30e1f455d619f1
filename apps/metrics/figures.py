"""Every figure of ../shared/metrics.md, computed in one place.

`period_figures` answers for any period, platform and set of institutions with a
fixed number of queries, whatever the number of institutions; pages, the API and
bulletins all read its result objects and compute nothing themselves.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.calendar import full_months, month_end, month_start
from apps.core.collector import collector_paused
from apps.core.versioning import data_version
from apps.institutions.models import Institution
from apps.onboarding.models import PhaseTarget
from apps.platforms.models import (
    CatalogueTable,
    Connection,
    ConnectionChange,
    ConnectionStatus,
    Platform,
    TableDeclaration,
    TableEdition,
    connected_since,
    status_on,
    status_since,
)
from apps.regions.models import Region
from apps.uploads.models import DailyTotal, DailyUpload, MonthlyTableTotal, MonthlyTotal

from .definitions import DEFAULT, Definitions
from .periods import through_label
from .rollups import period_sums

ONE_DECIMAL = Decimal("0.1")


def percent(part: int, whole: int, places: Decimal = ONE_DECIMAL) -> Decimal | None:
    """part / whole × 100, rounded half up; None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(places, rounding=ROUND_HALF_UP)


class Tier:
    FIRST, SECOND, THIRD, FOURTH = 1, 2, 3, 4
    LABELS = {
        1: gettext_lazy("Tier 1"),
        2: gettext_lazy("Tier 2"),
        3: gettext_lazy("Tier 3"),
        4: gettext_lazy("Tier 4"),
    }


class Continuity:
    GOOD = "good"
    INTERRUPTED = "interrupted"
    LABELS = {GOOD: gettext_lazy("Good"), INTERRUPTED: gettext_lazy("Interrupted")}


@dataclass
class InstitutionFigures:
    institution: Institution
    connection_status: str
    connected_since: dt.date | None
    front_server_last_seen: dt.datetime | None
    edition: TableEdition | None
    required_tables: int
    tables_uploaded: int
    completeness: Decimal | None
    missing_tables: int
    records: int
    rejected: int
    upload_days: int
    interruption_days: int | None
    longest_gap: int | None
    last_upload_date: dt.date | None
    tier: int | None
    severely_missing: bool
    continuity: str | None
    unknown_tables: list[str] = field(default_factory=list)
    # The catalogue tables of the edition in force it did not upload in the period.
    missing_codes: list[str] = field(default_factory=list)
    # The first day of the status in force on `end` (联通日期 of an upstream institution).
    status_since: dt.date | None = None
    # 申明上传表: tables of the edition in force it declared; None when it declared
    # none (未反馈).
    declared_tables: int | None = None
    score: Decimal | None = None
    # V of the score: records over the median of the institution's peers, at most 1.
    volume_factor: Decimal | None = None
    # 应接入日期: the go-live date of the build-out phase it is a target of, if any.
    go_live: dt.date | None = None
    # 未到期: the go-live date lies after the period's end, so it is in no tier, out
    # of the connection rate and has no score (metrics.md, 建设分期).
    not_yet_due: bool = False

    @property
    def org_code(self) -> str:
        return self.institution.org_code

    @property
    def exempt(self) -> bool:
        """Connected to the provincial platform instead: the city platform holds none
        of its data, so it has no tier, no score and no tables to fix here."""
        return self.connection_status == ConnectionStatus.UPSTREAM

    @property
    def joined_since(self) -> dt.date | None:
        """联通日期: since when it is connected to this platform, or to the higher one."""
        return self.status_since if self.exempt else self.connected_since

    @property
    def name(self) -> str:
        return self.institution.name

    @property
    def connection_status_label(self) -> str:
        return str(ConnectionStatus(self.connection_status).label)

    @property
    def declared_label(self) -> str:
        """申明上传表/规定上传表 as the city newsletters write it: 52/129, or 未反馈/83
        when the institution declared nothing."""
        declared = _("No answer") if self.declared_tables is None else self.declared_tables
        return f"{declared}/{self.required_tables}"

    @property
    def tier_label(self) -> str:
        """The section a bulletin lists the institution under."""
        if self.tier:
            return str(Tier.LABELS[self.tier])
        if self.not_yet_due:
            return _("Not yet due")
        if self.connection_status == ConnectionStatus.UPSTREAM:
            return _("Connected to the provincial platform")
        return _("Not connected")

    @property
    def continuity_label(self) -> str:
        return str(Continuity.LABELS.get(self.continuity or "", ""))


@dataclass
class Summary:
    institutions: int
    connected: int
    upstream: int
    integrating: int
    not_connected: int
    connection_rate: Decimal | None
    tiers: dict[int, int]
    severely_missing: int
    continuity_good: int
    continuity_interrupted: int
    # Scope-level figures for dashboards (docs/glossary.md): the accepted records of
    # every institution, and the mean completeness of the connected ones that have one.
    records: int = 0
    mean_completeness: Decimal | None = None
    # 未到期: targets of a build-out phase whose go-live date is after the period.
    not_yet_due: int = 0
    # Connected (and due) with no continuity: nothing uploaded in the period (未上传数据).
    # connected = continuity_good + continuity_interrupted + continuity_none.
    continuity_none: int = 0

    @property
    def due(self) -> int:
        """The institutions the connection rate is over."""
        return self.institutions - self.not_yet_due

    @property
    def joined(self) -> int:
        """接入: connected to this platform or to the higher one."""
        return self.connected + self.upstream

    @property
    def unconnected(self) -> int:
        return self.integrating + self.not_connected


class _SummaryRow(NamedTuple):
    """What `PeriodFigures.summary` reads of a row: a summary-only period's rows."""

    connection_status: str
    not_yet_due: bool
    tier: int | None
    severely_missing: bool
    continuity: str | None
    records: int
    completeness: Decimal | None


@dataclass
class PeriodFigures:
    platform: Platform
    start: dt.date
    end: dt.date
    definitions: Definitions
    rows: list[InstitutionFigures]
    # The last day the figures count (metrics.md, data day): the period's end, or the
    # platform's data day (or yesterday) where the period runs past it.
    through: dt.date | None = None

    @property
    def bounded(self) -> bool:
        """Whether the figures stop before the period's end ("截至 through")."""
        return self.through is not None and self.through < self.end

    @property
    def summary(self) -> Summary:
        """Counts over the institutions due (未到期 ones apart: out of every status
        count and of the connection rate's denominator, counted on their own)."""
        due = [r for r in self.rows if not r.not_yet_due]
        statuses = Counter(r.connection_status for r in due)
        joined = statuses[ConnectionStatus.CONNECTED] + statuses[ConnectionStatus.UPSTREAM]
        return Summary(
            institutions=len(self.rows),
            not_yet_due=len(self.rows) - len(due),
            connected=statuses[ConnectionStatus.CONNECTED],
            upstream=statuses[ConnectionStatus.UPSTREAM],
            integrating=statuses[ConnectionStatus.INTEGRATING],
            not_connected=statuses[ConnectionStatus.NOT_CONNECTED],
            connection_rate=percent(joined, len(due), Decimal("1")),
            tiers={t: sum(1 for r in self.rows if r.tier == t) for t in Tier.LABELS},
            severely_missing=sum(1 for r in self.rows if r.severely_missing),
            continuity_good=sum(1 for r in self.rows if r.continuity == Continuity.GOOD),
            continuity_interrupted=sum(
                1 for r in self.rows if r.continuity == Continuity.INTERRUPTED
            ),
            continuity_none=sum(
                1
                for r in due
                if r.connection_status == ConnectionStatus.CONNECTED and r.continuity is None
            ),
            records=sum(r.records for r in self.rows),
            mean_completeness=_mean(
                [
                    r.completeness
                    for r in due
                    if r.connection_status == ConnectionStatus.CONNECTED
                    and r.completeness is not None
                ]
            ),
        )

    def by_org_code(self) -> dict[str, InstitutionFigures]:
        return {r.org_code: r for r in self.rows}


def _mean(values: list[Decimal]) -> Decimal | None:
    """Arithmetic mean, one decimal, half up; None for no values."""
    if not values:
        return None
    return (sum(values) / len(values)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def edition_in_force(
    editions: Sequence[TableEdition], category: str, day: dt.date
) -> TableEdition | None:
    """The catalogue edition that binds an institution of `category` on `day`.

    An edition naming the category outranks one for all institutions (the specific
    rule over the general one); among equals the latest `valid_from` wins.
    """
    candidates = [e for e in editions if e.valid_from <= day and e.applies_to(category)]
    if not candidates:
        return None
    return max(candidates, key=lambda e: (bool(e.categories), e.valid_from, e.pk))


def platform_editions(platform: Platform) -> list[TableEdition]:
    """The platform's editions, each with `codes` (its table codes) attached. Two queries."""
    editions = list(TableEdition.objects.filter(platform=platform))
    codes: dict[int, set[str]] = defaultdict(set)
    for edition_id, code in CatalogueTable.objects.filter(edition__platform=platform).values_list(
        "edition_id", "code"
    ):
        codes[edition_id].add(code)
    for edition in editions:
        edition.codes = frozenset(codes[edition.pk])
    return editions


def _runs_without_records(bits: int, length: int) -> tuple[int, int]:
    """(days without records, longest run of them) over a window of `length` days
    whose days with records are the set bits of `bits` (bit i: the window's day i)."""
    if length <= 0:
        return 0, 0
    missing = length - bits.bit_count()
    if not missing:
        return 0, 0
    return missing, max(map(len, format(bits, f"0{length}b").split("1")))


@dataclass
class _Uploads:
    """What one institution sent in a period: per-table sums reduced to what the
    figures use (codes with records, codes with rows only, totals) and the days
    with records as a bitmap (bit i: the period's day i)."""

    records: int = 0
    rejected: int = 0
    days: int = 0
    tables: set[str] = field(default_factory=set)
    silent: set[str] = field(default_factory=set)

    def day_count(self) -> int:
        return self.days.bit_count()

    def last_day(self, start: dt.date) -> dt.date | None:
        return start + dt.timedelta(days=self.days.bit_length() - 1) if self.days else None


def _fetch(query: QuerySet) -> list[tuple]:
    """The rows of a values_list query straight from the cursor: a province's
    period is tens of thousands of rows of plain integers and codes, which need none
    of the ORM's per-row converters."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@functools.lru_cache(maxsize=65536)
def _codes(text: str) -> frozenset[str]:
    """A roll-up's comma-joined table codes as a set; an institution's month after
    month are mostly the same text, and a dashboard reads seven periods of them."""
    return frozenset(text.split(",")) if text else frozenset()


def _month_rows(platform: Platform, ids: QuerySet, first: dt.date, last: dt.date) -> list[tuple]:
    """The per-institution monthly roll-up's rows of the months first..last (the
    first days of the months): (institution, month, records, rejected, days with
    records, tables with records, tables reported without). One query."""
    return _fetch(
        MonthlyTotal.objects.filter(
            platform=platform, institution__in=ids, month__gte=first, month__lte=last
        ).values_list(
            "institution_id",
            "month",
            "records",
            "rejected",
            "upload_days",
            "tables",
            "silent_tables",
        )
    )


def _period_uploads(
    platform: Platform,
    ids: QuerySet,
    start: dt.date,
    end: dt.date,
    month_rows: Callable[[Platform, QuerySet, dt.date, dt.date], list[tuple]] | None = None,
    last_before: bool = True,
) -> tuple[dict[int, _Uploads], dict[int, dt.date]]:
    """Per institution, what it sent in start..end — whole months from the
    per-institution monthly roll-up (one row a month), the days of partly covered
    months from the table-months' bitmaps and DailyTotal, never the daily rows —
    and the last day with records before start. Four queries at most, whatever the
    period's length and number of institutions; `month_rows` (as `_month_rows`)
    may answer the whole months from rows read before; without `last_before`, the
    day before the period is not looked for (a summary does not show it)."""
    months = full_months(start, end)
    # The days of the partial months, and those before `start` in its month.
    if months:
        first, last = months
        days = Q(day__gte=month_start(start), day__lt=first) | Q(
            day__gt=month_end(last), day__lte=end
        )
    else:
        days = Q(day__gte=month_start(start), day__lte=end)
    uploads: dict[int, _Uploads] = defaultdict(_Uploads)
    if months:
        rows = (month_rows or _month_rows)(platform, ids, *months)
        for inst, month, records, rejected, bits, tables, silent in rows:
            u = uploads[inst]
            u.records += records
            u.rejected += rejected
            u.days |= bits << (_as_date(month) - start).days
            u.tables |= _codes(tables)
            u.silent |= _codes(silent)
    # The last day with records before the period: the whole months before its
    # first month from the roll-up, the days before `start` in that month below.
    before = (
        {}
        if not last_before
        else dict(
            MonthlyTotal.objects.filter(
                platform=platform,
                institution__in=ids,
                month__lt=month_start(start),
                last_upload__isnull=False,
            )
            .values("institution_id")
            .annotate(last=Max("last_upload"))
            .values_list("institution_id", "last")
        )
    )
    segments = _partial_months(start, end, months)
    if segments:
        # Which tables had records (or rows only) on the partial months' days: their
        # bitmaps masked to those days.
        def masked(column: str) -> Case:
            return Case(
                *(When(month=m, then=F(column).bitand(mask)) for m, mask in segments),
                default=Value(0),
                output_field=BigIntegerField(),
            )

        for inst, code, uploaded in _fetch(
            MonthlyTableTotal.objects.filter(
                platform=platform, institution__in=ids, month__in=[m for m, _ in segments]
            )
            .annotate(reported=masked("report_days"), uploaded=masked("upload_days"))
            .exclude(reported=0)
            .values_list("institution_id", "table_code", "uploaded")
        ):
            (uploads[inst].tables if uploaded else uploads[inst].silent).add(code)
        # Their records, rejected and days with records, and the days before `start`
        # in its month, from the per-day roll-up.
        for inst, day, records, rejected in _fetch(
            DailyTotal.objects.filter(days, platform=platform, institution__in=ids).values_list(
                "institution_id", "day", "records", "rejected"
            )
        ):
            day = _as_date(day)
            if day >= start:
                u = uploads[inst]
                u.records += records
                u.rejected += rejected
                if records > 0:
                    u.days |= 1 << (day - start).days
            elif records > 0 and (inst not in before or before[inst] < day):
                before[inst] = day
    for u in uploads.values():
        u.silent -= u.tables  # silent in one month, uploaded in another: uploaded
    return dict(uploads), before


def _partial_months(
    start: dt.date, end: dt.date, months: tuple[dt.date, dt.date] | None
) -> list[tuple[dt.date, int]]:
    """(month, bitmap of its days in start..end) of the months start..end covers
    only in part."""

    def days(first: int, last: int) -> int:
        return (1 << last) - (1 << (first - 1))

    if months is None:
        if month_start(start) == month_start(end):
            return [(month_start(start), days(start.day, end.day))]
        return [
            (month_start(start), days(start.day, month_end(start).day)),
            (month_start(end), days(1, end.day)),
        ]
    parts = []
    if start < months[0]:
        parts.append((month_start(start), days(start.day, month_end(start).day)))
    if month_end(months[1]) < end:
        parts.append((month_start(end), days(1, end.day)))
    return parts


def _as_date(value) -> dt.date:
    """A date column read from the cursor: SQLite answers text."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def last_complete_day() -> dt.date:
    """A day's statistics are published the next day: today is never complete."""
    return timezone.localdate() - dt.timedelta(days=1)


def data_day(platform: Platform) -> dt.date | None:
    """The platform's data day (数据截至日, metrics.md): the latest day for which it
    holds statistics of any institution; None before its first."""
    return data_span(platform)[1]


def period_heading(platform: Platform, period) -> str:
    """A period's label as pages, exports and reports head its figures: with the day
    they stop at where that is before the period's end (截至…)."""
    first, last = data_span(platform)
    if not period.overlaps(first, last):
        return period.label
    return through_label(period.label, period.end, counted_through(platform, period.end))


def counted_through(platform: Platform, end: dt.date) -> dt.date:
    """The last day a period ending on `end` counts: `end`, or the platform's data day
    where the period runs past it (a platform that stopped sending does not make every
    hospital look interrupted), and never today (its statistics come tomorrow)."""
    last = min(end, last_complete_day())
    day = data_day(platform)
    return min(last, day) if day is not None else last


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
        self._registry: _Registry | None = None
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
            return _month_rows(platform, ids, first, last)
        if self._months is None:
            self._months = defaultdict(list)
            for row in _month_rows(platform, ids, *span):
                self._months[_as_date(row[1])].append(row)
        return [
            row for month, rows in self._months.items() if first <= month <= last for row in rows
        ]

    def _compute(
        self, start: dt.date, end: dt.date, with_scores: bool, summary_only: bool = False
    ) -> PeriodFigures:
        if end < start:
            raise ValueError("end before start")
        if self._registry is None:
            self._registry = _registry(self.scope, self.platform)
        return _period_figures(
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
        key = _cache_key(
            "figures", self.scope, self.platform, start, end, self.definitions, with_scores
        )
        figures = cache.get(key)
        if figures is None:
            with collector_paused():  # a province's rows, tuples and figures: see there
                figures = self._compute(start, end, with_scores)
                cache.set(key, figures, settings.HIPWATCH_FIGURES_CACHE_SECONDS)
        return figures

    def summary(self, start: dt.date, end: dt.date) -> Summary:
        key = _cache_key("summary", self.scope, self.platform, start, end, self.definitions)
        summary = cache.get(key)
        if summary is None:
            with collector_paused():
                summary = self._compute(start, end, False, summary_only=True).summary
                cache.set(key, summary, settings.HIPWATCH_FIGURES_CACHE_SECONDS)
        return summary


def _cache_key(kind: str, scope: QuerySet, *args) -> str:
    sql, params = scope.query.sql_with_params()
    text = repr((kind, data_version(), sql, params, [getattr(a, "pk", a) for a in args]))
    return "hipwatch:" + kind + ":" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Registry:
    """What the figures read of the registry, whatever the period: read once for
    the periods of one `FiguresReader`."""

    insts: list[Institution]
    ids: QuerySet
    changes: dict[int, list[StatusChange]]
    heartbeats: dict[int, dt.datetime | None]
    editions: list[TableEdition]
    declared: dict[tuple[int, int], int]
    go_live: dict[int, dt.date]


class StatusChange(NamedTuple):
    """A status change as the figures read it: ConnectionChange's two fields, as a
    tuple (2,000 model instances with their connections cost 40 ms a read)."""

    effective_date: dt.date
    to_status: str


def _connection_changes(platform: Platform, ids: QuerySet) -> dict[int, list[StatusChange]]:
    """Each institution's status changes on the platform, in order. One query."""
    changes: dict[int, list[StatusChange]] = defaultdict(list)
    for inst, day, status in (
        ConnectionChange.objects.filter(
            connection__platform=platform, connection__institution__in=ids
        )
        .order_by("effective_date", "id")
        .values_list("connection__institution_id", "effective_date", "to_status")
    ):
        changes[inst].append(StatusChange(day, status))
    return changes


def _go_live(platform: Platform, ids: QuerySet) -> dict[int, dt.date]:
    """应接入日期: each build-out target's own go-live date, else its phase's. One query."""
    return dict(
        PhaseTarget.objects.filter(platform=platform, institution__in=ids)
        .annotate(day=Coalesce("go_live", "plan__deadline"))
        .values_list("institution_id", "day")
    )


def _institutions(scope: QuerySet[Institution]) -> list[Institution]:
    """The scope's institutions in the bulletin's order, each with its region: one
    instance per region, shared (2,000 institutions are in 177 regions, and the
    figures cache pickles each instance once)."""
    insts = list(scope.order_by("region__sort_key", "org_code"))
    regions = Region.objects.in_bulk({inst.region_id for inst in insts})
    for inst in insts:
        inst.region = regions[inst.region_id]
    return insts


def _registry(scope: QuerySet[Institution], platform: Platform) -> _Registry:
    ids = scope.values("pk")
    return _Registry(
        insts=_institutions(scope),
        ids=ids,
        changes=_connection_changes(platform, ids),
        heartbeats=dict(
            Connection.objects.filter(platform=platform, institution__in=ids).values_list(
                "institution_id", "front_server_last_seen"
            )
        ),
        editions=platform_editions(platform),
        declared={
            (edition_id, inst): n
            for edition_id, inst, n in TableDeclaration.objects.filter(
                edition__platform=platform, institution__in=ids
            )
            .values("edition_id", "institution_id")
            .annotate(n=Count("id"))
            .values_list("edition_id", "institution_id", "n")
        },
        go_live=_go_live(platform, ids),
    )


def _period_figures(
    scope: QuerySet[Institution],
    platform: Platform,
    start: dt.date,
    end: dt.date,
    definitions: Definitions,
    with_scores: bool,
    reg: _Registry,
    month_rows=None,
    summary_only: bool = False,
) -> PeriodFigures:
    """The figures of each institution of the registry; `summary_only`, rows with
    only what `PeriodFigures.summary` counts (no last upload day, no table lists):
    for a dashboard's months, whose summaries alone are shown."""
    insts, changes, heartbeats, editions = reg.insts, reg.changes, reg.heartbeats, reg.editions
    declared, go_live = reg.declared, reg.go_live
    uploads, last_before = _period_uploads(
        platform, reg.ids, start, end, month_rows, last_before=not summary_only
    )
    nothing = _Uploads()

    counted_until = counted_through(platform, end)
    # The edition in force depends on the category alone: once per category.
    edition_of = functools.cache(lambda category: edition_in_force(editions, category, end))
    rows = []
    for inst in insts:
        pk = inst.pk
        history = changes.get(pk, [])
        status = status_on(history, end)
        since = connected_since(history, end)
        due_from = go_live.get(pk)
        not_yet_due = due_from is not None and due_from > end
        edition = edition_of(inst.category)
        required = edition.codes if edition else frozenset()
        sent = uploads.get(pk, nothing)
        uploaded = sent.tables & required
        completeness = percent(len(uploaded), len(required))
        upload_days = sent.day_count()

        interruption = gap = None
        if status == ConnectionStatus.CONNECTED and not not_yet_due:
            # From the latest of the period's start, the connection day and the
            # go-live date.
            first = max(d for d in (start, since, due_from) if d is not None)
            offset = (first - start).days
            length = (counted_until - first).days + 1
            interruption, gap = _runs_without_records(
                sent.days >> offset & ((1 << max(length, 0)) - 1), length
            )

        tier, severe, continuity = None, False, None
        if status == ConnectionStatus.CONNECTED and not not_yet_due:
            if not uploaded:
                tier = Tier.FOURTH
            elif completeness >= definitions.tier1_min:
                tier = Tier.FIRST
            elif completeness >= definitions.tier2_min:
                tier = Tier.SECOND
            else:
                tier = Tier.THIRD
                severe = completeness < definitions.severe_below
            if upload_days:
                continuity = (
                    Continuity.GOOD
                    if interruption <= definitions.good_continuity_max_days
                    else Continuity.INTERRUPTED
                )

        if summary_only:
            rows.append(
                _SummaryRow(
                    status, not_yet_due, tier, severe, continuity, sent.records, completeness
                )
            )
            continue
        rows.append(
            InstitutionFigures(
                institution=inst,
                connection_status=status,
                connected_since=since,
                status_since=status_since(history, end),
                declared_tables=declared.get((edition.pk, pk)) if edition else None,
                front_server_last_seen=heartbeats.get(pk),
                edition=edition,
                required_tables=len(required),
                tables_uploaded=len(uploaded),
                completeness=completeness,
                missing_tables=len(required) - len(uploaded),
                records=sent.records,
                rejected=sent.rejected,
                upload_days=upload_days,
                interruption_days=interruption,
                longest_gap=gap,
                last_upload_date=sent.last_day(start) or last_before.get(pk),
                tier=tier,
                severely_missing=severe,
                continuity=continuity,
                unknown_tables=sorted((sent.tables | sent.silent) - required),
                missing_codes=sorted(required - uploaded),
                go_live=due_from,
                not_yet_due=not_yet_due,
            )
        )
    if with_scores:
        _assign_scores(rows, platform, start, end, definitions)
    return PeriodFigures(platform, start, end, definitions, rows, counted_until)


TWO_DECIMALS = Decimal("0.01")


def _median(values: list[int]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


def _assessing_paths(regions: Sequence, platform: Platform) -> dict[str, str]:
    """For each region code, the path of the region whose commission assesses it on
    the platform: a province platform's units (city platforms, province hospitals)
    are the province's to assess; a city platform's institutions, their nearest
    ancestor (or themselves) at city level, else their root. One query at most."""
    if platform.level == Platform.Level.PROVINCE and platform.region_id:
        path = platform.region.path
        return {r.code: path for r in regions}
    codes = {code for r in regions for code in r.path.split("/") if code}
    levels = dict(Region.objects.filter(code__in=codes).values_list("code", "level"))
    result = {}
    for region in regions:
        chain = [c for c in region.path.split("/") if c]
        city = next((i for i, c in enumerate(chain) if levels.get(c) == Region.Level.CITY), 0)
        result[region.code] = "/".join(chain[: city + 1]) + "/"
    return result


def _peer_records(
    peers: QuerySet[Institution], platform: Platform, start: dt.date, end: dt.date
) -> list[tuple[str, str, int]]:
    """(region code, category, records) of the peers a score compares with: the
    institutions connected on `end`, due (not 未到期) and with records in the
    period — the same rows `_period_figures` would give, from five aggregate
    queries instead of the figures (the records are the roll-ups' sums)."""
    ids = peers.values("pk")
    sums = period_sums(
        daily=DailyTotal.objects.filter(platform=platform, institution__in=ids),
        monthly=MonthlyTotal.objects.filter(platform=platform, institution__in=ids),
        start=start,
        end=end,
        keys=["institution_id"],
        values=["records"],
    )
    records = {inst: r for (inst,), (r,) in sums.items() if r > 0}
    changes = _connection_changes(platform, ids)
    not_due = {pk for pk, day in _go_live(platform, ids).items() if day > end}
    # Subqueries, not lists of ids: the same queries whether any peer uploaded or not.
    return [
        (region, category, records[pk])
        for pk, region, category in peers.values_list("pk", "region_id", "category")
        if pk in records
        and pk not in not_due
        and status_on(changes.get(pk, []), end) == ConnectionStatus.CONNECTED
    ]


def _assign_scores(
    rows: list[InstitutionFigures],
    platform: Platform,
    start: dt.date,
    end: dt.date,
    definitions: Definitions,
) -> None:
    """互联互通度: points × (wC·C + wK·K + wV·V), two decimals. V compares records
    with the median of the connected institutions that uploaded, of the same
    category under the same city commission — whoever is looking, so a hospital
    has one score on every page. Upstream and 未到期 institutions get none."""
    if not rows:
        return
    assessing = _assessing_paths(
        {r.institution.region_id: r.institution.region for r in rows}.values(), platform
    )
    peers_qs = Institution.objects.filter(active=True)
    condition = Q()
    for path in set(assessing.values()):
        condition |= Q(region__path__startswith=path)
    peers_qs = peers_qs.filter(condition)
    ids = {r.institution.pk for r in rows}
    uploaded: dict[tuple[str, str], list[int]] = defaultdict(list)
    if set(peers_qs.values_list("pk", flat=True)) == ids:
        for row in rows:
            # A 未到期 institution is not assessed, so it is no peer either.
            if (
                row.connection_status == ConnectionStatus.CONNECTED
                and row.records > 0
                and not row.not_yet_due
            ):
                key = (assessing[row.institution.region_id], row.institution.category)
                uploaded[key].append(row.records)
    else:
        # A part of the city: its peers' records alone, not their whole figures.
        peers = _peer_records(peers_qs.filter(active=True), platform, start, end)
        regions = Region.objects.filter(pk__in=peers_qs.values("region_id"))
        assessing.update(_assessing_paths(list(regions), platform))
        for region, category, records in peers:
            uploaded[(assessing[region], category)].append(records)
    medians = {key: _median(values) for key, values in uploaded.items()}
    d = definitions
    for row in rows:
        if row.connection_status == ConnectionStatus.UPSTREAM or row.not_yet_due:
            row.score = row.volume_factor = None
            continue
        c = Decimal(1 if row.connection_status == ConnectionStatus.CONNECTED else 0)
        k = (row.completeness or Decimal(0)) / 100
        median = medians.get((assessing[row.institution.region_id], row.institution.category))
        v = min(Decimal(1), Decimal(row.records) / median) if median else Decimal(0)
        row.volume_factor = v.quantize(TWO_DECIMALS, rounding=ROUND_HALF_UP)
        total = d.score_points * (
            d.weight_connection * c + d.weight_completeness * k + d.weight_volume * v
        )
        row.score = total.quantize(TWO_DECIMALS, rounding=ROUND_HALF_UP)


def rank_by_score(
    rows: Sequence[InstitutionFigures],
) -> list[tuple[int | None, InstitutionFigures]]:
    """Rows by score, highest first. Equal scores share a rank (1, 2, 2, 4); rows
    without a score (upstream) follow, unranked, by name."""
    scored = sorted((r for r in rows if r.score is not None), key=lambda r: (-r.score, r.org_code))
    ranked: list[tuple[int | None, InstitutionFigures]] = []
    for position, row in enumerate(scored, start=1):
        same = ranked and ranked[-1][1].score == row.score
        ranked.append((ranked[-1][0] if same else position, row))
    unscored = sorted((r for r in rows if r.score is None), key=lambda r: r.org_code)
    return ranked + [(None, r) for r in unscored]


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
            last_upload_date=_as_date(s["last"]) if s.get("last") else None,
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


def data_span(
    platform: Platform, institutions: QuerySet[Institution] | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day with statistics stored for these institutions
    (cached like the figures: every page's period menu asks; the whole platform's,
    which every page asks for, in this process too, under a key that compiles no
    query)."""
    if institutions is not None:
        return _span(_cache_key("span", institutions, platform), platform, institutions)
    key = f"hipwatch:span:{data_version()}:{platform.pk}"
    local = caches["local"]
    span = local.get(key)
    if span is None:
        span = _span(key, platform, None)
        local.set(key, span, settings.HIPWATCH_FIGURES_CACHE_SECONDS)
    return span


def _span(key: str, platform: Platform, institutions: QuerySet[Institution] | None):
    cached = cache.get(key)
    if cached is not None:
        return cached
    qs = DailyTotal.objects.filter(platform=platform)
    if institutions is not None:
        qs = qs.filter(institution__in=institutions)
    span = qs.aggregate(first=Min("day"), last=Max("day"))
    result = (span["first"], span["last"])
    cache.set(key, result, settings.HIPWATCH_FIGURES_CACHE_SECONDS)
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
    path = _assessing_paths([institution.region], platform)[institution.region.code]
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


def table_adoption(figures: PeriodFigures) -> dict[str, int]:
    """Per catalogue table code: how many of these connected institutions uploaded
    records of it in the period — read off their figures (the tables of their
    edition they did not miss), no query."""
    counts: Counter[str] = Counter()
    for row in figures.rows:
        if row.connection_status != ConnectionStatus.CONNECTED or row.edition is None:
            continue
        missing = set(row.missing_codes)
        counts.update(code for code in row.edition.codes if code not in missing)
    return dict(counts)
