"""The roll-ups follow every write exactly: per day from the day's rows, per table
and month by the difference each write makes (so a night late in a month does not
re-read the month), per institution and month from those two."""

import datetime as dt

import pytest
from django.db import connection, transaction

from apps.uploads.models import DailyUpload, MonthlyTableTotal, MonthlyTotal
from apps.uploads.rollups import monthly_totals_rebuild
from apps.uploads.services import UploadRow, uploads_replace_day
from tests.conftest import upload
from tests.simulated import assert_rollups_match

pytestmark = pytest.mark.django_db

D = dt.date


def month_rows(platform):
    return sorted(
        (
            m.institution.org_code,
            m.table_code,
            m.month.isoformat(),
            days_of(m.report_days),
            days_of(m.upload_days),
        )
        for m in MonthlyTableTotal.objects.filter(platform=platform).select_related("institution")
    )


def days_of(bitmap: int) -> list[int]:
    return [d + 1 for d in range(31) if bitmap >> d & 1]


def replace(city, day, rows):
    ids = {"41150000001": city.central.pk, "41152600001": city.hc_people.pk}
    return uploads_replace_day(
        platform=city.platform,
        day=day,
        rows=[UploadRow(day, o, t, r, x) for o, t, r, x in rows],
        institution_ids=ids,
    )


def test_store_then_revise_then_remove(city):
    upload(
        city.platform,
        [
            (D(2023, 6, 1), "41150000001", "T1", 10, 1),
            (D(2023, 6, 2), "41150000001", "T1", 5),
            (D(2023, 6, 2), "41150000001", "T2", 7),
            (D(2023, 5, 31), "41150000001", "T1", 100),
        ],
    )
    # (institution, table, month, days reported, days with records)
    assert month_rows(city.platform) == [
        ("41150000001", "T1", "2023-05-01", [31], [31]),
        ("41150000001", "T1", "2023-06-01", [1, 2], [1, 2]),
        ("41150000001", "T2", "2023-06-01", [2], [2]),
    ]
    # The platform revises 2 June: T1 grows, T2 is gone, T3 and 潢川 appear.
    replace(
        city,
        D(2023, 6, 2),
        [("41150000001", "T1", 8, 2), ("41150000001", "T3", 0, 0), ("41152600001", "T1", 4, 0)],
    )
    assert month_rows(city.platform) == [
        ("41150000001", "T1", "2023-05-01", [31], [31]),
        ("41150000001", "T1", "2023-06-01", [1, 2], [1, 2]),
        ("41150000001", "T3", "2023-06-01", [2], []),  # reported, with no records
        ("41152600001", "T1", "2023-06-01", [2], [2]),
    ]
    # Revised again to nothing for 潢川 and without T1 for 中心医院 on that day:
    # 1 June still holds T1, so June keeps it.
    replace(city, D(2023, 6, 2), [("41150000001", "T3", 0, 0)])
    assert month_rows(city.platform) == [
        ("41150000001", "T1", "2023-05-01", [31], [31]),
        ("41150000001", "T1", "2023-06-01", [1], [1]),
        ("41150000001", "T3", "2023-06-01", [2], []),
    ]
    assert_rollups_match(city.platform)


def test_an_import_that_changes_a_stored_day_adds_the_difference(city):
    upload(city.platform, [(D(2023, 6, 1), "41150000001", "T1", 10)])
    upload(city.platform, [(D(2023, 6, 1), "41150000001", "T1", 12, 3)])  # a later export
    assert month_rows(city.platform) == [("41150000001", "T1", "2023-06-01", [1], [1])]
    upload(city.platform, [(D(2023, 6, 1), "41150000001", "T1", 0, 3)])  # no records after all
    assert month_rows(city.platform) == [("41150000001", "T1", "2023-06-01", [1], [])]
    row = MonthlyTotal.objects.get(institution=city.central)
    assert (row.records, row.rejected, row.upload_days, row.tables) == (0, 3, 0, "")
    assert row.silent_tables == "T1"
    assert_rollups_match(city.platform)


def test_the_institution_months_read_as_their_days(city):
    """MonthlyTotal: a bitmap of the days with records, the last of them, the tables
    with records and those with rows only; a revision that empties a day clears
    its bit, one that empties the month removes the row."""
    upload(
        city.platform,
        [
            (D(2023, 6, 1), "41150000001", "T1", 10, 1),
            (D(2023, 6, 30), "41150000001", "T2", 5),
            (D(2023, 6, 15), "41150000001", "T3", 0, 2),
            (D(2023, 6, 15), "41152600001", "T1", 4),
        ],
    )
    row = MonthlyTotal.objects.get(institution=city.central, month=D(2023, 6, 1))
    assert row.days() == [1, 30]
    assert row.upload_days == 1 | 1 << 29
    assert (row.records, row.rejected, row.last_upload) == (15, 3, D(2023, 6, 30))
    assert sorted(row.tables.split(",")) == ["T1", "T2"]
    assert row.silent_tables == "T3"
    replace(city, D(2023, 6, 30), [("41150000001", "T2", 0, 0)])
    row = MonthlyTotal.objects.get(institution=city.central, month=D(2023, 6, 1))
    assert (row.days(), row.last_upload, row.tables) == ([1], D(2023, 6, 1), "T1")
    assert sorted(row.silent_tables.split(",")) == ["T2", "T3"]
    replace(city, D(2023, 6, 15), [])
    assert not MonthlyTotal.objects.filter(institution=city.hc_people).exists()
    assert_rollups_match(city.platform)


def test_the_migration_builds_the_institution_months_from_what_is_stored(city):
    upload(
        city.platform,
        [
            (D(2023, 5, 31), "41150000001", "T1", 100),
            (D(2023, 6, 2), "41150000001", "T2", 0, 1),
            (D(2023, 6, 3), "41152600001", "T1", 7),
        ],
    )
    built = sorted(MonthlyTotal.objects.values_list("institution_id", "month", "upload_days"))
    MonthlyTotal.objects.all().delete()
    with connection.cursor() as cursor:
        monthly_totals_rebuild(cursor)
    again = sorted(MonthlyTotal.objects.values_list("institution_id", "month", "upload_days"))
    assert again == built and len(again) == 3
    assert_rollups_match(city.platform)


def test_a_replaced_day_counts_what_it_changed(city):
    """Created, updated, unchanged and deleted rows of a revised day (on PostgreSQL
    computed in SQL from the COPY'd day, on SQLite in Python: the same answer)."""
    upload(
        city.platform,
        [
            (D(2023, 6, 2), "41150000001", "T1", 10),
            (D(2023, 6, 2), "41150000001", "T2", 7),
            (D(2023, 6, 2), "41152600001", "T1", 4),
        ],
    )
    result = replace(
        city,
        D(2023, 6, 2),
        [("41150000001", "T1", 10, 0), ("41150000001", "T2", 8, 0), ("41150000001", "T3", 1, 0)],
    )
    assert (result.created, result.updated, result.unchanged, result.deleted) == (1, 1, 1, 1)
    again = replace(
        city,
        D(2023, 6, 2),
        [("41150000001", "T1", 10, 0), ("41150000001", "T2", 8, 0), ("41150000001", "T3", 1, 0)],
    )
    assert (again.created, again.updated, again.unchanged, again.deleted) == (0, 0, 3, 0)
    assert_rollups_match(city.platform)


def test_a_revision_of_counts_alone_moves_the_totals_by_the_difference(city):
    """An institution whose revised rows only change counts (with records before and
    after, or none before and after) has its day's and month's totals moved by the
    difference; one beside it whose table loses its records is rebuilt. Both as the
    daily rows say, rejected records too, the month's other days kept."""
    upload(
        city.platform,
        [
            (D(2023, 6, 1), "41150000001", "T1", 50, 5),
            (D(2023, 6, 2), "41150000001", "T1", 10, 1),
            (D(2023, 6, 2), "41150000001", "T2", 0, 0),
            (D(2023, 6, 2), "41150000001", "T3", 7, 0),
            (D(2023, 6, 2), "41152600001", "T1", 4, 0),
            (D(2023, 6, 2), "41152600001", "T2", 6, 0),
        ],
    )
    result = replace(
        city,
        D(2023, 6, 2),
        [
            ("41150000001", "T1", 12, 3),  # more records, more rejected
            ("41150000001", "T2", 0, 0),  # unchanged, still none
            ("41150000001", "T3", 2, 0),  # fewer
            ("41152600001", "T1", 0, 0),  # its records gone: the table silent
            ("41152600001", "T2", 9, 0),
        ],
    )
    assert (result.updated, result.unchanged) == (4, 1)
    central = MonthlyTotal.objects.get(institution=city.central, month=D(2023, 6, 1))
    assert (central.records, central.rejected) == (50 + 12 + 2, 5 + 3)
    people = MonthlyTotal.objects.get(institution=city.hc_people, month=D(2023, 6, 1))
    assert (people.records, people.tables, people.silent_tables) == (9, "T2", "T1")
    assert_rollups_match(city.platform)


def test_two_days_replaced_in_one_transaction_keep_apart(city):
    """A backfill stores day after day: what one day changed must not leak into the
    next (the SQL path's tables of changes live for the transaction)."""
    upload(city.platform, [(D(2023, 6, 1), "41150000001", "T1", 10)])
    with transaction.atomic():
        first = replace(city, D(2023, 6, 1), [("41150000001", "T2", 3, 0)])
        second = replace(city, D(2023, 6, 2), [("41152600001", "T1", 4, 0)])
    assert (first.created, first.deleted) == (1, 1)
    assert (second.created, second.updated, second.deleted) == (1, 0, 0)
    assert sorted(
        DailyUpload.objects.values_list("day", "institution__org_code", "table_code", "records")
    ) == [
        (D(2023, 6, 1), "41150000001", "T2", 3),
        (D(2023, 6, 2), "41152600001", "T1", 4),
    ]
    assert_rollups_match(city.platform)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL revision is PostgreSQL's")
def test_a_revised_day_leaves_the_transactions_planner_as_it_found_it(city):
    """The revision's UPDATE is planned without nested loops; whatever the night's
    transaction does after it is planned as usual."""
    upload(city.platform, [(D(2023, 6, 2), "41150000001", "T1", 10)])
    result = replace(city, D(2023, 6, 2), [("41150000001", "T1", 11, 0)])
    assert result.updated == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_nestloop")
        assert cursor.fetchone() == ("on",)
