"""Business indicators and upload rates (上传率), exactly as metrics.md defines them:
a flow's value is the sum of its days, a stock's the latest value on or before the
end; the reference of the period; the rate = value ÷ reference × 100, two
decimals, half up, empty without a reference (or with a zero one), flagged above
100. The one implementation: pages, Excel, PDF and the API read it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db.models import BigIntegerField, Count, F, QuerySet, Sum, Window
from django.db.models.functions import Cast, RowNumber

from apps.core.calendar import month_end, month_start
from apps.indicators.models import DailyIndicator, Indicator, MonthlyIndicator, Reference
from apps.institutions.models import Institution
from apps.platforms.models import Platform

from .figures import _cache_key, _fetch
from .rollups import period_sums

CENT = Decimal("0.01")


class IndicatorValue(NamedTuple):
    """One indicator of one institution for a period (a tuple: a province's
    report builds 12,000 of them, and the cache pickles them)."""

    value: int | None
    reference: int | None
    rate: Decimal | None

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
    key = _cache_key("indicators", scope, platform, start, end, codes)
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = _indicator_values(scope, platform, start, end, list(indicators))
    cache.set(key, result, settings.HIPWATCH_FIGURES_CACHE_SECONDS)
    return result


def _indicator_values(scope, platform, start, end, indicators) -> dict:
    ids = scope.values("pk")
    insts = list(scope.values_list("pk", flat=True))
    flows = [i for i in indicators if not i.is_stock]
    stocks = [i for i in indicators if i.is_stock]
    values: dict[tuple[int, int], int] = {}
    if flows:
        values.update(_flow_sums(platform, ids, [i.pk for i in flows], start, end))
    if stocks:
        values.update(_stock_latest(platform, ids, insts, [i.pk for i in stocks], end))
    references = _references(platform, ids, insts, indicators, start, end)
    columns = [(i.code, i.pk, None if i.is_stock else 0) for i in indicators]
    result: dict[int, dict[str, IndicatorValue]] = {}
    for inst in insts:
        row = result[inst] = {}
        for code, pk, empty in columns:
            value = values.get((inst, pk), empty)
            reference = references.get((inst, pk))
            row[code] = IndicatorValue(value, reference, upload_rate(value, reference))
    return result


def _flow_sums(platform, ids, indicator_ids, start, end) -> dict[tuple[int, int], int]:
    """Sums over start..end (metrics.rollups: whole months from the roll-up). Two
    queries."""
    sums = period_sums(
        daily=DailyIndicator.objects.filter(
            platform=platform, institution__in=ids, indicator_id__in=indicator_ids
        ),
        monthly=MonthlyIndicator.objects.filter(
            platform=platform, institution__in=ids, indicator_id__in=indicator_ids
        ),
        start=start,
        end=end,
        keys=("institution_id", "indicator_id"),
        values=("value",),
        monthly_values=("total",),
    )
    return {key: total for key, (total,) in sums.items()}


def _stock_latest(platform, ids, insts, indicator_ids, end) -> dict[tuple[int, int], int]:
    """The latest value on or before `end`, in the period or before it: the days of
    end's month up to end, else the latest earlier month's last value: the month
    before first, then further back for the pairs without one. At most three
    queries.
    When `end` closes its month, its month's roll-up row holds that value already
    (its latest day): no daily row is read, which at a province's size is the
    difference between 180,000 rows and none."""
    first = month_start(end) if end != month_end(end) else end + dt.timedelta(days=1)
    latest: dict[tuple[int, int], tuple[dt.date, int]] = {}
    if first <= end:  # end inside its month: that month's days up to end
        for inst, ind, day, value in DailyIndicator.objects.filter(
            platform=platform,
            institution__in=ids,
            indicator_id__in=indicator_ids,
            day__gte=first,
            day__lte=end,
        ).values_list("institution_id", "indicator_id", "day", "value"):
            if (inst, ind) not in latest or day > latest[(inst, ind)][0]:
                latest[(inst, ind)] = (day, value)
    result = {key: value for key, (_day, value) in latest.items()}
    # The month before `first` first: where every institution reporting daily has
    # its latest value. Only the pairs not found there look further back.
    months = MonthlyIndicator.objects.filter(
        platform=platform, institution__in=ids, indicator_id__in=indicator_ids
    )
    before = month_start(first - dt.timedelta(days=1))
    for inst, ind, value in _fetch(
        months.filter(month=before).values_list("institution_id", "indicator_id", "last_value")
    ):
        result.setdefault((inst, ind), value)
    wanted = {(inst, ind) for inst in insts for ind in indicator_ids}
    missing = {inst for inst, _ind in wanted - result.keys()}
    if missing:
        earlier = (
            months.filter(month__lt=before, **_among(missing))
            .annotate(
                newest=Window(
                    RowNumber(),
                    partition_by=[F("institution_id"), F("indicator_id")],
                    order_by=F("month").desc(),
                )
            )
            .filter(newest=1)
            .values_list("institution_id", "indicator_id", "last_value")
        )
        for inst, ind, value in _fetch(earlier):
            result.setdefault((inst, ind), value)
    return result


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


def _references(platform, ids, insts, indicators, start, end) -> dict[tuple[int, int], int]:
    """The reference of the period per (institution, indicator), as metrics.md says:
    a flow's is the sum of its months' references (whole months, each referenced),
    or for exactly one year its yearly reference when the months are not all there;
    a stock's is the one in force on `end` (the latest to start on or before it, a
    month over the year it lies in). At most three queries, each returning one row
    per institution and indicator (the months are summed and counted in SQL)."""
    months = _months_of(start, end)
    whole_year = months is not None and len(months) == 12 and start.month == 1
    flow_ids = [i.pk for i in indicators if not i.is_stock]
    stock_ids = [i.pk for i in indicators if i.is_stock]
    base = Reference.objects.filter(platform=platform, institution__in=ids)
    result: dict[tuple[int, int], int] = {}
    if flow_ids and whole_year:
        for inst, ind, value in base.filter(
            indicator_id__in=flow_ids, span=Reference.Span.YEAR, start=start
        ).values_list("institution_id", "indicator_id", "value"):
            result[(inst, ind)] = value
    if flow_ids and months:
        # Every month referenced (one row per month: the key is unique) → their sum,
        # which outranks the year's.
        for inst, ind, total, count in (
            base.filter(
                indicator_id__in=flow_ids,
                span=Reference.Span.MONTH,
                start__gte=months[0],
                start__lte=months[-1],
            )
            .values("institution_id", "indicator_id")
            .annotate(total=Cast(Sum("value"), BigIntegerField()), n=Count("pk"))
            .values_list("institution_id", "indicator_id", "total", "n")
        ):
            if count == len(months):
                result[(inst, ind)] = total
    if stock_ids:
        # A reference starts on a month's or a year's first day: one of the month
        # of `end` is the latest there can be (and outranks a year's of the same
        # start). Only the pairs without one look further back.
        stock = base.filter(indicator_id__in=stock_ids)
        for inst, ind, value in _fetch(
            stock.filter(span=Reference.Span.MONTH, start=month_start(end)).values_list(
                "institution_id", "indicator_id", "value"
            )
        ):
            result[(inst, ind)] = value
        wanted = {(inst, ind) for inst in insts for ind in stock_ids}
        missing = {inst for inst, _ind in wanted - result.keys()}
        if missing:
            # Latest start first; at the same start "month" sorts before "year".
            for inst, ind, value in _fetch(
                stock.filter(start__lte=end, **_among(missing))
                .annotate(
                    newest=Window(
                        RowNumber(),
                        partition_by=[F("institution_id"), F("indicator_id")],
                        order_by=[F("start").desc(), F("span").asc()],
                    )
                )
                .filter(newest=1)
                .values_list("institution_id", "indicator_id", "value")
            ):
                result.setdefault((inst, ind), value)
    return result
