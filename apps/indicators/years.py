"""The year rows (IndicatorYear): per platform, institution, indicator and year, each
month's roll-up (sum, latest value) and reference and the year's reference, rebuilt
from MonthlyIndicator and Reference. Kept by the storage services in the transaction
of each write; the migration that created the table built it with the same function
(it takes the models, so a migration can pass its historical ones)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import OuterRef, Subquery

# Institutions per query: well inside SQLite's limit on a statement's parameters.
CHUNK = 500


def _chunks(keys: Iterable[tuple]):
    """(period, up to CHUNK institution ids) of (institution id, period) `keys`."""
    by_period: dict = defaultdict(set)
    for inst, period in keys:
        by_period[period].add(inst)
    for period, insts in by_period.items():
        ordered = sorted(insts)
        for first in range(0, len(ordered), CHUNK):
            yield period, ordered[first : first + CHUNK]


def years_rebuild(
    *, year_model, monthly_model, reference_model, platform_id: int, keys: Iterable[tuple]
) -> None:
    """Rebuild the rows of (institution id, year) `keys` from the roll-up and the
    references: an institution's indicator with nothing left that year loses its
    row."""
    for year, chunk in _chunks(keys):
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


COLUMNS = [f"{prefix}{m}" for prefix in "tvr" for m in range(1, 13)] + ["y"]


def months_refresh(
    *, year_model, monthly_model, platform_id: int, keys: Iterable[tuple[int, dt.date]]
) -> None:
    """Bring the year rows of (institution id, month) `keys` up to date with those
    months of the roll-up only: rows are added for pairs new that year, the month's
    two columns set from the roll-up by one UPDATE, and rows left with nothing
    removed. What a night's write needs: its day's month, not the whole year (three
    statements per month and 500 institutions)."""
    for month, chunk in _chunks(keys):
        years = year_model.objects.filter(
            platform_id=platform_id, year=month.year, institution_id__in=chunk
        )
        _add_missing(year_model, monthly_model, platform_id, month, chunk)
        same = monthly_model.objects.filter(
            platform_id=platform_id,
            month=month,
            institution_id=OuterRef("institution_id"),
            indicator_id=OuterRef("indicator_id"),
        )
        years.update(
            **{
                f"t{month.month}": Subquery(same.values("total")[:1]),
                f"v{month.month}": Subquery(same.values("last_value")[:1]),
            }
        )
        years.filter(**{f"{column}__isnull": True for column in COLUMNS}).delete()


def _add_missing(year_model, monthly_model, platform_id: int, month: dt.date, chunk) -> None:
    """Empty year rows for the pairs of `chunk` the roll-up has in `month` and the
    year has none for yet: one INSERT … SELECT, nothing read into Python."""
    years, months = year_model._meta.db_table, monthly_model._meta.db_table
    marks = ", ".join(["%s"] * len(chunk))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {years} (platform_id, institution_id, indicator_id, year) "
            f"SELECT m.platform_id, m.institution_id, m.indicator_id, %s FROM {months} m "
            f"WHERE m.platform_id = %s AND m.month = %s AND m.institution_id IN ({marks}) "
            f"AND NOT EXISTS (SELECT 1 FROM {years} y WHERE y.platform_id = m.platform_id "
            "AND y.year = %s AND y.institution_id = m.institution_id "
            "AND y.indicator_id = m.indicator_id)",
            [month.year, platform_id, month, *chunk, month.year],
        )
