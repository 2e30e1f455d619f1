"""Business indicators and upload rates (上传率), exactly as metrics.md defines them:
a flow's value is the sum of its days, a stock's the latest value on or before the
end; the reference of the period; the rate = value ÷ reference × 100, two
decimals, half up, empty without a reference (or with a zero one), flagged above
100. The one implementation: pages, Excel, PDF and the API read it."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db.models import BigIntegerField, Case, F, QuerySet, Sum, Value, When, Window
from django.db.models.functions import Cast, Coalesce, RowNumber

from apps.core.calendar import full_months, month_end, month_start
from apps.core.collector import collector_paused
from apps.indicators.models import (
    DailyIndicator,
    Indicator,
    IndicatorYear,
    MonthlyIndicator,
    Reference,
)
from apps.institutions.models import Institution
from apps.platforms.models import Platform

from .figures import cache_key, fetch_rows
from .rollups import daily_edges

CENT = Decimal("0.01")


class IndicatorValue(NamedTuple):
    """One indicator of one institution for a period (a tuple of two integers: a
    province's report builds 12,000 of them, and the cache pickles them; the rate,
    a Decimal, is worked out where it is read)."""

    value: int | None
    reference: int | None

    @property
    def rate(self) -> Decimal | None:
        return upload_rate(self.value, self.reference)

    @property
    def over_reference(self) -> bool:
        """More uploaded than the reference says there was: the reference or the data
        is wrong, and that must be seen."""
        return self.rate is not None and self.rate > 100


def upload_rate(value: int | None, reference: int | None) -> Decimal | None:
    if value is None or not reference:
        return None
    return (Decimal(value) * 100 / Decimal(reference)).quantize(CENT, rounding=ROUND_HALF_UP)


def total_rate(values: Sequence[IndicatorValue]) -> Decimal | None:
    """The rate of a group of institutions (a report's total row, a region): their
    values summed over their references summed, counting only those that have a
    reference; empty when none has."""
    rated = [v for v in values if v.reference]
    if not rated:
        return None
    return upload_rate(sum(v.value or 0 for v in rated), sum(v.reference for v in rated))


def indicator_values(
    *,
    institutions: QuerySet[Institution],
    platform: Platform,
    start: dt.date,
    end: dt.date,
    indicators: Sequence[Indicator],
) -> dict[int, dict[str, IndicatorValue]]:
    """Per institution id, per indicator code: value, reference and rate for
    start..end. A fixed number of queries whatever the count; cached under the data
    version like the figures."""
    if end < start:
        raise ValueError("end before start")
    scope = institutions.filter(active=True)
    codes = tuple(i.code for i in indicators)
    key = cache_key("indicators", scope, platform, start, end, codes)
    cached = cache.get(key)
    if cached is not None:
        return _unpacked(cached)
    with collector_paused():  # building them and pickling them into the cache
        result = _indicator_values(scope, platform, start, end, list(indicators))
        cache.set(key, _packed(result, codes), settings.HIPWATCH_FIGURES_CACHE_SECONDS)
    return result


def _packed(result: dict[int, dict[str, IndicatorValue]], codes: tuple[str, ...]) -> tuple:
    """The values as the cache keeps them: the codes, then one flat tuple of
    integers per institution (a province's 12,000 NamedTuples took 11 ms to pickle,
    these 1 ms)."""
    return codes, [
        (inst, *(n for code in codes for n in row[code])) for inst, row in result.items()
    ]


def _unpacked(packed: tuple) -> dict[int, dict[str, IndicatorValue]]:
    codes, rows = packed
    pairs = list(enumerate(codes))
    return {
        row[0]: {code: IndicatorValue(row[1 + 2 * n], row[2 + 2 * n]) for n, code in pairs}
        for row in rows
    }


def _indicator_values(scope, platform, start, end, indicators) -> dict:
    ids = scope.values("pk")
    insts = list(scope.values_list("pk", flat=True))
    flows = [i.pk for i in indicators if not i.is_stock]
    stocks = [i.pk for i in indicators if i.is_stock]
    values: dict[tuple[int, int], int] = {}
    references: dict[tuple[int, int], int] = {}
    # A stock's value is read from the days of end's month up to end when end lies
    # inside it; before `first`, from the year rows (and further back, the roll-up).
    first = month_start(end) if end != month_end(end) else end + dt.timedelta(days=1)
    since = min(start.year, (first - dt.timedelta(days=1)).year)
    if flows:
        values.update(_flow_edges(platform, ids, flows, start, end))
    days = _stock_days(platform, ids, stocks, first, end) if stocks and first <= end else {}
    values.update(days)
    _from_years(platform, ids, flows, stocks, start, end, first, since, days, values, references)
    if stocks:
        _stocks_further_back(platform, ids, insts, stocks, since, values, references)
    columns = [(i.code, i.pk, None if i.is_stock else 0) for i in indicators]
    result: dict[int, dict[str, IndicatorValue]] = {}
    for inst in insts:
        row = result[inst] = {}
        for code, pk, empty in columns:
            value = values.get((inst, pk), empty)
            reference = references.get((inst, pk))
            row[code] = IndicatorValue(value, reference)
    return result


def _flow_edges(platform, ids, indicator_ids, start, end) -> dict[tuple[int, int], int]:
    """The flows' sums over the days of start..end outside its whole months (the
    partial months at either end): one query, none when it is whole months."""
    edges = daily_edges(start, end)
    if edges is None:
        return {}
    return {
        (inst, ind): total or 0
        for inst, ind, total in DailyIndicator.objects.filter(
            edges, platform=platform, institution__in=ids, indicator_id__in=indicator_ids
        )
        .values("institution_id", "indicator_id")
        .annotate(total=Cast(Sum("value"), BigIntegerField()))
        .values_list("institution_id", "indicator_id", "total")
    }


def _stock_days(platform, ids, indicator_ids, first, end) -> dict[tuple[int, int], int]:
    """The stocks' latest value among the days first..end (end's month up to end)."""
    latest: dict[tuple[int, int], tuple[dt.date, int]] = {}
    for inst, ind, day, value in DailyIndicator.objects.filter(
        platform=platform,
        institution__in=ids,
        indicator_id__in=indicator_ids,
        day__gte=first,
        day__lte=end,
    ).values_list("institution_id", "indicator_id", "day", "value"):
        if (inst, ind) not in latest or day > latest[(inst, ind)][0]:
            latest[(inst, ind)] = (day, value)
    return {key: value for key, (_day, value) in latest.items()}


def _by_year(first: dt.date, last: dt.date, column) -> Case:
    """An expression over a year row giving, in each year of first..last (first
    days of months), `column(first month, last month)` of the months it holds of
    them; NULL in other years."""
    whens = [
        When(
            year=year,
            then=column(
                first.month if year == first.year else 1, last.month if year == last.year else 12
            ),
        )
        for year in range(first.year, last.year + 1)
    ]
    return Case(*whens, default=None, output_field=BigIntegerField())


def _added(lo: int, hi: int, prefix: str, empty_as_zero: bool):
    """t_lo + … + t_hi: NULL as soon as one is NULL, unless they count as 0."""
    columns = [F(f"{prefix}{m}") for m in range(lo, hi + 1)]
    if empty_as_zero:
        columns = [Coalesce(c, Value(0)) for c in columns]
    return reduce(operator.add, columns)


def _latest(lo: int, hi: int, prefix: str, then_year: bool = False):
    """The latest month's non-NULL column among lo..hi (then the year's reference)."""
    columns = [F(f"{prefix}{m}") for m in range(hi, lo - 1, -1)]
    if then_year:
        columns.append(F("y"))
    return Coalesce(*columns) if len(columns) > 1 else columns[0]


def _from_years(platform, ids, flows, stocks, start, end, first, since, days, values, references):
    """Everything the year rows (IndicatorYear) answer, in one query of one row per
    institution, indicator and year, each holding only the few numbers the period
    needs, computed from its months' columns:
    - a flow's sum over the period's whole months (its partial months' days are
      read from the daily values) and the sum of those months' references — NULL
      unless every one is there; for exactly one calendar year, the year's;
    - a stock's latest month value before `first` and its reference in force on
      `end` (the latest month's up to end's, then the year's)."""
    if not flows and not stocks:
        return
    months = full_months(start, end)
    whole = _months_of(start, end)
    whole_year = whole is not None and len(whole) == 12 and start.month == 1
    before = month_start(first - dt.timedelta(days=1))
    nothing = Value(None, output_field=BigIntegerField())
    annotations = {"flow": nothing, "flow_ref": nothing, "stock": nothing, "stock_ref": nothing}
    if flows and months:
        annotations["flow"] = _by_year(*months, lambda lo, hi: _added(lo, hi, "t", True))
    if flows and whole:
        annotations["flow_ref"] = _by_year(
            whole[0], whole[-1], lambda lo, hi: _added(lo, hi, "r", False)
        )
    if stocks:
        annotations["stock"] = _by_year(
            dt.date(since, 1, 1), before, lambda lo, hi: _latest(lo, hi, "v")
        )
        annotations["stock_ref"] = _by_year(
            dt.date(since, 1, 1), month_start(end), lambda lo, hi: _latest(lo, hi, "r", True)
        )
    if not (months or stocks):  # whole months are among the full months
        return
    rows = (
        IndicatorYear.objects.filter(
            platform=platform,
            institution__in=ids,
            indicator_id__in=flows + stocks,
            year__gte=since,
            year__lte=end.year,
        )
        .annotate(**annotations)
        .values_list("institution_id", "indicator_id", "year", "y", *annotations)
    )
    flow_ids, years_of_whole = set(flows), (whole[-1].year - whole[0].year + 1) if whole else 0
    # Rows in year order: a later year's stock value or reference replaces an
    # earlier one's; a flow's references are summed over the years and kept when
    # every year had all its months referenced.
    referenced: dict[tuple[int, int], int] = {}
    counted: dict[tuple[int, int], int] = {}
    # (One year needs no order.)
    ordered = rows.order_by("year") if since < end.year else rows.order_by()
    for inst, ind, year, year_ref, flow, flow_ref, stock, stock_ref in fetch_rows(ordered):
        key = (inst, ind)
        if ind in flow_ids:
            if flow:
                values[key] = values.get(key, 0) + flow
            if flow_ref is not None:
                referenced[key] = referenced.get(key, 0) + flow_ref
                counted[key] = counted.get(key, 0) + 1
            elif whole_year and year == start.year and year_ref is not None:
                references[key] = year_ref
        else:
            if stock is not None and key not in days:
                values[key] = stock
            if stock_ref is not None:
                references[key] = stock_ref
    for key, total in referenced.items():
        if counted[key] == years_of_whole:  # every month referenced: outranks the year's
            references[key] = total


def _stocks_further_back(platform, ids, insts, stock_ids, since, values, references):
    """For the stocks' pairs the years since..end have no value or reference for:
    the latest month's value and the latest reference before `since` (one query
    each, only when there are such pairs)."""
    wanted = [(inst, ind) for inst in insts for ind in stock_ids]
    january = dt.date(since, 1, 1)
    scope = {"platform": platform, "institution__in": ids, "indicator_id__in": stock_ids}
    missing = {inst for inst, ind in wanted if (inst, ind) not in values}
    if missing:
        months = MonthlyIndicator.objects.filter(month__lt=january, **scope)
        for key, value in _newest(months, missing, [F("month").desc()], "last_value"):
            values.setdefault(key, value)
    missing = {inst for inst, ind in wanted if (inst, ind) not in references}
    if missing:
        # Latest start first; at the same start "month" sorts before "year".
        earlier = Reference.objects.filter(start__lt=january, **scope)
        for key, value in _newest(earlier, missing, [F("start").desc(), F("span").asc()], "value"):
            references.setdefault(key, value)


def _newest(queryset, missing: set[int], order_by: list, column: str):
    """((institution, indicator), `column`) of the first row of each pair in
    `order_by`'s order, among the `missing` institutions."""
    for inst, ind, value in fetch_rows(
        queryset.filter(**_among(missing))
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("institution_id"), F("indicator_id")],
                order_by=order_by,
            )
        )
        .filter(newest=1)
        .values_list("institution_id", "indicator_id", column)
    ):
        yield (inst, ind), value


def _among(missing: set[int]) -> dict:
    """A filter to the institutions still without an answer, when they are few
    enough to name (the query's scope filter does the rest)."""
    return {"institution__in": sorted(missing)} if len(missing) <= 1000 else {}


def _months_of(start: dt.date, end: dt.date) -> list[dt.date] | None:
    """The months start..end is made of, or None when it is not whole months."""
    if start.day != 1 or end != month_end(end):
        return None
    months, month = [], start
    while month <= end:
        months.append(month)
        month = month_end(month) + dt.timedelta(days=1)
    return months


def indicator_months(
    *,
    institutions: QuerySet[Institution],
    platform: Platform,
    months: Sequence[dt.date],
    indicators: Sequence[Indicator],
) -> dict[dt.date, dict[int, dict[str, IndicatorValue]]]:
    """`indicator_values` of each whole calendar month of `months` (their first
    days): per month, per institution id, per indicator code. One query of the year
    rows the months lie in (and for a stock with nothing in them, the roll-up and
    the references before them) instead of one reading per month: an institution's
    twelve months of rates."""
    if not months:
        return {}
    scope = institutions.filter(active=True)
    insts = list(scope.values_list("pk", flat=True))
    if not indicators or not insts:
        return {m: {inst: {} for inst in insts} for m in months}
    by_pk = {i.pk: i for i in indicators}
    first_year, last_year = min(months).year, max(months).year
    if min(months).month == 1:
        first_year -= 1  # a January's stock looks into the year before, as a period's
    columns = [f"{p}{m}" for p in ("t", "v", "r") for m in range(1, 13)]
    rows: dict[tuple[int, int], dict[int, tuple]] = {}
    for inst, ind, year, y, *cells in fetch_rows(
        IndicatorYear.objects.filter(
            platform=platform,
            institution__in=insts,
            indicator_id__in=list(by_pk),
            year__gte=first_year,
            year__lte=last_year,
        )
        .order_by()
        .values_list("institution_id", "indicator_id", "year", "y", *columns)
    ):
        rows.setdefault((inst, ind), {})[year] = (y, cells[:12], cells[12:24], cells[24:])

    def stock(years: dict, month: dt.date) -> tuple[int | None, int | None]:
        value = reference = None
        for year in range(month.year, first_year - 1, -1):
            row = years.get(year)
            if row is None:
                continue
            y, _t, v, r = row
            last = month.month if year == month.year else 12
            if value is None:
                value = next((v[m] for m in range(last - 1, -1, -1) if v[m] is not None), None)
            if reference is None:
                reference = next((r[m] for m in range(last - 1, -1, -1) if r[m] is not None), y)
            if value is not None and reference is not None:
                break
        return value, reference

    result: dict[dt.date, dict[int, dict[str, IndicatorValue]]] = {m: {} for m in months}
    missing_values: set[tuple[int, int]] = set()
    missing_refs: set[tuple[int, int]] = set()
    for month in months:
        for inst in insts:
            row = result[month][inst] = {}
            for ind in indicators:
                years = rows.get((inst, ind.pk), {})
                if ind.is_stock:
                    value, reference = stock(years, month)
                    if value is None:
                        missing_values.add((inst, ind.pk))
                    if reference is None:
                        missing_refs.add((inst, ind.pk))
                else:
                    cells = years.get(month.year)
                    value = (cells[1][month.month - 1] or 0) if cells else 0
                    reference = cells[3][month.month - 1] if cells else None
                row[ind.code] = IndicatorValue(value, reference)
    if missing_values or missing_refs:
        _months_further_back(
            platform, scope, insts, by_pk, first_year, missing_values, missing_refs, result
        )
    return result


def _months_further_back(platform, scope, insts, by_pk, since, values, refs, result) -> None:
    """A stock with no value or reference in the months' years: what
    `_stocks_further_back` finds before them, for every month still without one."""
    found_values: dict[tuple[int, int], int] = {}
    found_refs: dict[tuple[int, int], int] = {}
    stock_ids = sorted({ind for _inst, ind in values | refs})
    _stocks_further_back(
        platform, scope.values("pk"), insts, stock_ids, since, found_values, found_refs
    )
    for months in result.values():
        for inst, row in months.items():
            for ind in stock_ids:
                code = by_pk[ind].code
                current = row[code]
                row[code] = IndicatorValue(
                    current.value if current.value is not None else found_values.get((inst, ind)),
                    current.reference
                    if current.reference is not None
                    else found_refs.get((inst, ind)),
                )
