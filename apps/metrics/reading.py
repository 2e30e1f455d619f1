"""How the figures are read fast: what an institution sent in a period from the
roll-ups (the months' totals, the table-months' bitmaps, the days' totals), never
the daily rows; the registry the figures read, once per reader; the platform's
data span; the cache keys. What the figures *are* is in `formulas`."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connections
from django.db.models import BigIntegerField, Case, Count, F, Max, Min, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from apps.core.calendar import full_months, month_end, month_start
from apps.core.versioning import data_version
from apps.institutions.models import Institution
from apps.onboarding.models import PhaseTarget
from apps.platforms.models import (
    CatalogueTable,
    Connection,
    ConnectionChange,
    Platform,
    TableDeclaration,
    TableEdition,
)
from apps.regions.models import Region
from apps.uploads.models import DailyTotal, MonthlyTableTotal, MonthlyTotal


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


@dataclass
class Sent:
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


def fetch_rows(query: QuerySet) -> list[tuple]:
    """The rows of a values_list query straight from the cursor: a province's
    period is tens of thousands of rows of plain integers and codes, which need none
    of the ORM's per-row converters. On the database the ORM would read (the
    router's: a page's replica), so that a page never reads two states of the data."""
    sql, params = query.query.get_compiler(using=query.db).as_sql()
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@functools.lru_cache(maxsize=65536)
def _codes(text: str) -> frozenset[str]:
    """A roll-up's comma-joined table codes as a set; an institution's month after
    month are mostly the same text, and a dashboard reads seven periods of them."""
    return frozenset(text.split(",")) if text else frozenset()


def month_rows_read(
    platform: Platform, ids: QuerySet, first: dt.date, last: dt.date
) -> list[tuple]:
    """The per-institution monthly roll-up's rows of the months first..last (the
    first days of the months): (institution, month, records, rejected, days with
    records, tables with records, tables reported without). One query."""
    return fetch_rows(
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


def period_uploads(
    platform: Platform,
    ids: QuerySet,
    start: dt.date,
    end: dt.date,
    month_rows: Callable[[Platform, QuerySet, dt.date, dt.date], list[tuple]] | None = None,
    last_before: bool = True,
) -> tuple[dict[int, Sent], dict[int, dt.date]]:
    """Per institution, what it sent in start..end — whole months from the
    per-institution monthly roll-up (one row a month), the days of partly covered
    months from the table-months' bitmaps and DailyTotal, never the daily rows —
    and the last day with records before start. Four queries at most, whatever the
    period's length and number of institutions; `month_rows` (as `month_rows_read`)
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
    uploads: dict[int, Sent] = defaultdict(Sent)
    if months:
        rows = (month_rows or month_rows_read)(platform, ids, *months)
        for inst, month, records, rejected, bits, tables, silent in rows:
            u = uploads[inst]
            u.records += records
            u.rejected += rejected
            u.days |= bits << (as_date(month) - start).days
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

        for inst, code, uploaded in fetch_rows(
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
        for inst, day, records, rejected in fetch_rows(
            DailyTotal.objects.filter(days, platform=platform, institution__in=ids).values_list(
                "institution_id", "day", "records", "rejected"
            )
        ):
            day = as_date(day)
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


def as_date(value) -> dt.date:
    """A date column read from the cursor: SQLite answers text."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def cache_key(kind: str, scope: QuerySet, *args) -> str:
    sql, params = scope.query.sql_with_params()
    text = repr((kind, data_version(), sql, params, [getattr(a, "pk", a) for a in args]))
    return "hipwatch:" + kind + ":" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Registry:
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


def connection_changes(platform: Platform, ids: QuerySet) -> dict[int, list[StatusChange]]:
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


def go_live_days(platform: Platform, ids: QuerySet) -> dict[int, dt.date]:
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


def registry_read(scope: QuerySet[Institution], platform: Platform) -> Registry:
    ids = scope.values("pk")
    return Registry(
        insts=_institutions(scope),
        ids=ids,
        changes=connection_changes(platform, ids),
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
        go_live=go_live_days(platform, ids),
    )


def data_span(
    platform: Platform, institutions: QuerySet[Institution] | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day with statistics stored for these institutions
    (cached like the figures: every page's period menu asks; the whole platform's,
    which every page asks for, in this process too, under a key that compiles no
    query)."""
    if institutions is not None:
        return _span(cache_key("span", institutions, platform), platform, institutions)
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
