"""Business indicators and upload rates (上传率), exactly as metrics.md defines them:
a flow's value is the sum of its days, a stock's the latest value on or before the
end; the reference of the period; the rate = value ÷ reference × 100, two
decimals, half up, empty without a reference (or with a zero one), flagged above
100. The one implementation: pages, Excel, PDF and the API read it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import BigIntegerField, F, Q, QuerySet, Sum, Window
from django.db.models.functions import Cast, RowNumber

from apps.core.calendar import full_months, month_end, month_start
from apps.indicators.models import DailyIndicator, Indicator, MonthlyIndicator, Reference
from apps.institutions.models import Institution
from apps.platforms.models import Platform

from .figures import _cache_key

CENT = Decimal("0.01")


@dataclass(frozen=True)
class IndicatorValue:
    """One indicator of one institution for a period."""

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
    flows = [i for i in indicators if not i.is_stock]
    stocks = [i for i in indicators if i.is_stock]
    values: dict[tuple[int, int], int] = {}
    if flows:
        values.update(_flow_sums(platform, ids, [i.pk for i in flows], start, end))
    if stocks:
        values.update(_stock_latest(platform, ids, [i.pk for i in stocks], end))
    references = _references(platform, ids, indicators, start, end)
    result: dict[int, dict[str, IndicatorValue]] = {}
    for inst in scope.values_list("pk", flat=True):
        row = {}
        for indicator in indicators:
            key = (inst, indicator.pk)
            value = values.get(key, None if indicator.is_stock else 0)
            reference = references.get(key)
            row[indicator.code] = IndicatorValue(value, reference, upload_rate(value, reference))
        result[inst] = row
    return result


def _flow_sums(platform, ids, indicator_ids, start, end) -> dict[tuple[int, int], int]:
    """Sums over start..end: whole months from the roll-up, the other days from the
    daily values. Two queries."""
    months = full_months(start, end)
    daily = DailyIndicator.objects.filter(
        platform=platform, institution__in=ids, indicator_id__in=indicator_ids
    )
    if months:
        daily = daily.filter(
            Q(day__gte=start, day__lt=months[0]) | Q(day__gt=month_end(months[1]), day__lte=end)
        )
    else:
        daily = daily.filter(day__gte=start, day__lte=end)
    sums: dict[tuple[int, int], int] = defaultdict(int)
    for inst, ind, total in (
        daily.values("institution_id", "indicator_id")
        .annotate(t=Cast(Sum("value"), BigIntegerField()))
        .values_list("institution_id", "indicator_id", "t")
    ):
        sums[(inst, ind)] += total
    if months:
        for inst, ind, total in (
            MonthlyIndicator.objects.filter(
                platform=platform,
                institution__in=ids,
                indicator_id__in=indicator_ids,
                month__gte=months[0],
                month__lte=months[1],
            )
            .values("institution_id", "indicator_id")
            .annotate(t=Cast(Sum("total"), BigIntegerField()))
            .values_list("institution_id", "indicator_id", "t")
        ):
            sums[(inst, ind)] += total
    return dict(sums)


def _stock_latest(platform, ids, indicator_ids, end) -> dict[tuple[int, int], int]:
    """The latest value on or before `end`, in the period or before it: the days of
    end's month up to end, else the latest earlier month's last value. Two queries."""
    first = month_start(end)
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
    earlier = (
        MonthlyIndicator.objects.filter(
            platform=platform, institution__in=ids, indicator_id__in=indicator_ids, month__lt=first
        )
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
    result = {key: value for key, (_day, value) in latest.items()}
    for inst, ind, value in earlier:
        result.setdefault((inst, ind), value)
    return result


def _months_of(start: dt.date, end: dt.date) -> list[dt.date] | None:
    """The months start..end is made of, or None when it is not whole months."""
    if start.day != 1 or end != month_end(end):
        return None
    months, month = [], start
    while month <= end:
        months.append(month)
        month = month_end(month) + dt.timedelta(days=1)
    return months


def _references(platform, ids, indicators, start, end) -> dict[tuple[int, int], int]:
    """The reference of the period per (institution, indicator), as metrics.md says:
    a flow's is the sum of its months' references (whole months, each referenced),
    or for exactly one year its yearly reference when the months are not all there;
    a stock's is the one in force on `end` (the latest to start on or before it, a
    month over the year it lies in). One query."""
    months = _months_of(start, end)
    whole_year = months is not None and len(months) == 12 and start.month == 1
    stock_ids = {i.pk for i in indicators if i.is_stock}
    refs: dict[tuple[int, int], dict] = defaultdict(
        lambda: {"months": {}, "year": None, "stock": None}
    )
    query = Reference.objects.filter(
        platform=platform, institution__in=ids, indicator_id__in=[i.pk for i in indicators]
    ).values_list("institution_id", "indicator_id", "span", "start", "value")
    for inst, ind, span, first, value in query:
        entry = refs[(inst, ind)]
        if ind in stock_ids:
            if first <= end:
                # Latest start wins; at the same start a month outranks its year.
                rank = (first, span == Reference.Span.MONTH)
                if entry["stock"] is None or rank > entry["stock"][0]:
                    entry["stock"] = (rank, value)
        elif span == Reference.Span.MONTH:
            entry["months"][first] = value
        elif whole_year and first == start:
            entry["year"] = value
    result = {}
    for key, entry in refs.items():
        if key[1] in stock_ids:
            if entry["stock"] is not None:
                result[key] = entry["stock"][1]
        elif months and all(m in entry["months"] for m in months):
            result[key] = sum(entry["months"][m] for m in months)
        elif entry["year"] is not None:
            result[key] = entry["year"]
    return result
