"""What each figure of ../shared/metrics.md is (统计口径): completeness, tiers,
continuity and interruption, the data day, the assessment's scores and ranks —
computed from what `reading` read. One definition each; `figures` is where pages,
the API and bulletins ask for them."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.institutions.models import Institution
from apps.platforms.models import (
    ConnectionStatus,
    Platform,
    TableEdition,
    connected_since,
    status_on,
    status_since,
)
from apps.regions.models import Region
from apps.uploads.models import DailyTotal, MonthlyTotal

from .definitions import Definitions
from .periods import through_label
from .reading import Registry, Sent, connection_changes, data_span, go_live_days, period_uploads
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


def _runs_without_records(bits: int, length: int) -> tuple[int, int]:
    """(days without records, longest run of them) over a window of `length` days
    whose days with records are the set bits of `bits` (bit i: the window's day i)."""
    if length <= 0:
        return 0, 0
    missing = length - bits.bit_count()
    if not missing:
        return 0, 0
    return missing, max(map(len, format(bits, f"0{length}b").split("1")))


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


def figures_compute(
    scope: QuerySet[Institution],
    platform: Platform,
    start: dt.date,
    end: dt.date,
    definitions: Definitions,
    with_scores: bool,
    reg: Registry,
    month_rows=None,
    summary_only: bool = False,
) -> PeriodFigures:
    """The figures of each institution of the registry; `summary_only`, rows with
    only what `PeriodFigures.summary` counts (no last upload day, no table lists):
    for a dashboard's months, whose summaries alone are shown."""
    insts, changes, heartbeats, editions = reg.insts, reg.changes, reg.heartbeats, reg.editions
    declared, go_live = reg.declared, reg.go_live
    uploads, last_before = period_uploads(
        platform, reg.ids, start, end, month_rows, last_before=not summary_only
    )
    nothing = Sent()

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


def assessing_paths(regions: Sequence, platform: Platform) -> dict[str, str]:
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
    period — the same rows `figures_compute` would give, from five aggregate
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
    changes = connection_changes(platform, ids)
    not_due = {pk for pk, day in go_live_days(platform, ids).items() if day > end}
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
    assessing = assessing_paths(
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
        assessing.update(assessing_paths(list(regions), platform))
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
