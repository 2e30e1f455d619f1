"""Sums over any period from a daily table and its monthly roll-up: the whole
calendar months from the roll-up, only the days of the partial months at either
end from the daily rows. At most two queries whatever the period's length (one
for whole months)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import BigIntegerField, Q, QuerySet, Sum
from django.db.models.functions import Cast

from apps.core.calendar import full_months, month_end


def daily_edges(start: dt.date, end: dt.date) -> Q | None:
    """The days of start..end outside its whole calendar months (the partial months
    at either end, or every day when there is no whole month), as a filter on
    `day`; None when start..end is whole months, which need no daily row."""
    months = full_months(start, end)
    if not months:
        return Q(day__gte=start, day__lte=end)
    if start < months[0] or end > month_end(months[1]):
        return Q(day__gte=start, day__lt=months[0]) | Q(day__gt=month_end(months[1]), day__lte=end)
    return None


def period_sums(
    *,
    daily: QuerySet,
    monthly: QuerySet,
    start: dt.date,
    end: dt.date,
    keys: Sequence[str],
    values: Sequence[str],
    monthly_values: Sequence[str] | None = None,
) -> dict[tuple, list[int]]:
    """Per `keys` (e.g. institution_id, rule_id), the sums of `values` over
    start..end. `daily` (with a `day` field) and `monthly` (with `month`, the
    month's first day) are already filtered to the scope; `monthly_values` names
    the roll-up's columns when they differ from the daily ones."""
    months = full_months(start, end)
    parts = []
    edges = daily_edges(start, end)
    if edges is not None:
        parts.append((daily.filter(edges), values))
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(values))
    if months:
        parts.append(
            (
                monthly.filter(month__gte=months[0], month__lte=months[1]),
                monthly_values or values,
            )
        )
    for queryset, columns in parts:
        annotations = {
            f"s{n}": Cast(Sum(column), BigIntegerField()) for n, column in enumerate(columns)
        }
        for row in queryset.values(*keys).annotate(**annotations).values_list(*keys, *annotations):
            entry = sums[tuple(row[: len(keys)])]
            for n, value in enumerate(row[len(keys) :]):
                entry[n] += value or 0
    return dict(sums)
