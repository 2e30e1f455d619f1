"""The year rows (IndicatorYear): per platform, institution, indicator and year, each
month's roll-up (sum, latest value) and reference and the year's reference, rebuilt
from MonthlyIndicator and Reference. Kept by the storage services in the transaction
of each write; the migration that created the table built it with the same function
(it takes the models, so a migration can pass its historical ones)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

# Institutions per query: well inside SQLite's limit on a statement's parameters.
CHUNK = 500


def years_rebuild(
    *, year_model, monthly_model, reference_model, platform_id: int, keys: Iterable[tuple]
) -> None:
    """Rebuild the rows of (institution id, year) `keys` from the roll-up and the
    references: an institution's indicator with nothing left that year loses its
    row."""
    by_year: dict[int, set[int]] = defaultdict(set)
    for inst, year in keys:
        by_year[year].add(inst)
    for year, insts in by_year.items():
        ordered = sorted(insts)
        for first in range(0, len(ordered), CHUNK):
            chunk = ordered[first : first + CHUNK]
            rows: dict[tuple[int, int], dict] = defaultdict(dict)
            for inst, ind, month, total, last_value in monthly_model.objects.filter(
                platform_id=platform_id,
                institution_id__in=chunk,
                month__gte=dt.date(year, 1, 1),
                month__lte=dt.date(year, 12, 1),
            ).values_list("institution_id", "indicator_id", "month", "total", "last_value"):
                row = rows[(inst, ind)]
                row[f"t{month.month}"] = total
                row[f"v{month.month}"] = last_value
            for inst, ind, span, start, value in reference_model.objects.filter(
                platform_id=platform_id,
                institution_id__in=chunk,
                start__gte=dt.date(year, 1, 1),
                start__lte=dt.date(year, 12, 31),
            ).values_list("institution_id", "indicator_id", "span", "start", "value"):
                rows[(inst, ind)]["y" if span == "year" else f"r{start.month}"] = value
            year_model.objects.filter(
                platform_id=platform_id, year=year, institution_id__in=chunk
            ).delete()
            year_model.objects.bulk_create(
                year_model(
                    platform_id=platform_id, institution_id=inst, indicator_id=ind, year=year, **row
                )
                for (inst, ind), row in sorted(rows.items())
            )
