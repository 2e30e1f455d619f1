"""Data quality (数据质量) exactly as metrics.md defines it: a rule's pass rate =
(checked − failed) ÷ checked × 100 over the period, two decimals, half up, empty
where nothing was checked; a dimension's rate the same over the sums of all its
rules; the quality score the weighted mean of the dimension rates that are not
empty (weights renormalised), from the unrounded rates, rounded once. The one
implementation: pages, Excel, PDF and the API read it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from apps.institutions.models import Institution
from apps.platforms.models import Platform
from apps.quality.models import DailyQuality, Dimension, MonthlyQuality, QualityRule

from .definitions import DEFAULT, Definitions
from .figures import cache_key
from .rollups import period_sums

CENT = Decimal("0.01")
DIMENSIONS = tuple(Dimension.values)


def _exact(checked: int, failed: int) -> Decimal | None:
    if not checked:
        return None
    return Decimal(checked - failed) * 100 / Decimal(checked)


def pass_rate(checked: int, failed: int) -> Decimal | None:
    """(checked − failed) ÷ checked × 100, two decimals, half up; None when nothing
    was checked."""
    exact = _exact(checked, failed)
    return None if exact is None else exact.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Counts:
    checked: int = 0
    failed: int = 0

    @property
    def rate(self) -> Decimal | None:
        return pass_rate(self.checked, self.failed)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.checked + other.checked, self.failed + other.failed)


def quality_score(
    dimensions: Mapping[str, Counts], definitions: Definitions = DEFAULT
) -> Decimal | None:
    """The weighted mean of the dimension rates that are not empty, the weights
    renormalised over them, from the unrounded rates, rounded once; None when no
    dimension has a rate or their weights are all zero."""
    parts = [
        (definitions.quality_weight(d), _exact(c.checked, c.failed))
        for d, c in dimensions.items()
        if c.checked
    ]
    weight = sum(w for w, _rate in parts)
    if not parts or not weight:
        return None
    return (sum(w * rate for w, rate in parts) / weight).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class QualityFigures:
    """One institution's (or a group's) data quality for a period."""

    rules: dict[str, Counts] = field(default_factory=dict)  # rule code → counts
    dimensions: dict[str, Counts] = field(default_factory=dict)  # all five
    score: Decimal | None = None
    # rule code → dimension, of the platform's rules (shared by the rows of a scope)
    dimension_of: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def rate(self, dimension: str) -> Decimal | None:
        return self.dimensions[dimension].rate

    @property
    def checked(self) -> bool:
        return any(c.checked for c in self.dimensions.values())


def quality_of(
    rules: Mapping[str, Counts], dimension_of: Mapping[str, str], definitions: Definitions
) -> QualityFigures:
    dimensions = {d: Counts() for d in DIMENSIONS}
    for code, counts in rules.items():
        d = dimension_of[code]
        dimensions[d] = dimensions[d] + counts
    return QualityFigures(
        dict(rules), dimensions, quality_score(dimensions, definitions), dimension_of
    )


def quality_total(
    figures: Iterable[QualityFigures], definitions: Definitions = DEFAULT
) -> QualityFigures:
    """A group's quality (a region, a report's total row): the counts of its
    institutions summed rule by rule, then rated as one (not a mean of rates)."""
    rules: dict[str, Counts] = defaultdict(Counts)
    dimension_of: dict[str, str] = {}
    for f in figures:
        dimension_of.update(f.dimension_of)
        for code, counts in f.rules.items():
            rules[code] = rules[code] + counts
    return quality_of(rules, dimension_of, definitions)


def quality_values(
    *,
    institutions: QuerySet[Institution],
    platform: Platform,
    start: dt.date,
    end: dt.date,
    definitions: Definitions = DEFAULT,
) -> dict[int, QualityFigures]:
    """Per institution id (every active one of `institutions`), its quality for
    start..end. Three queries whatever the count; cached under the data version
    like the figures."""
    if end < start:
        raise ValueError("end before start")
    scope = institutions.filter(active=True)
    key = cache_key("quality", scope, platform, start, end, tuple(definitions.as_dict().items()))
    cached = cache.get(key)
    if cached is not None:
        return cached
    ids = scope.values("pk")
    catalogue = list(
        QualityRule.objects.filter(platform=platform).values_list("pk", "code", "dimension")
    )
    rules = {pk: code for pk, code, _dimension in catalogue}
    dimension_of = {code: dimension for _pk, code, dimension in catalogue}
    sums = period_sums(
        daily=DailyQuality.objects.filter(platform=platform, institution__in=ids),
        monthly=MonthlyQuality.objects.filter(platform=platform, institution__in=ids),
        start=start,
        end=end,
        keys=("institution_id", "rule_id"),
        values=("checked", "failed"),
    )
    by_institution: dict[int, dict[str, Counts]] = defaultdict(dict)
    for (inst, rule), (checked, failed) in sums.items():
        by_institution[inst][rules[rule]] = Counts(checked, failed)
    result = {
        inst: quality_of(by_institution.get(inst, {}), dimension_of, definitions)
        for inst in scope.values_list("pk", flat=True)
    }
    cache.set(key, result, settings.HIPWATCH_FIGURES_CACHE_SECONDS)
    return result
