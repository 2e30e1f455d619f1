"""On PostgreSQL the daily statistics are partitioned by month (apps/core/
partitions.py): each day's rows land in their month, days outside the months in
the default partition, the months ahead are created before they are needed, and the
figures read them as before (the whole suite runs on the partitioned tables)."""

import datetime as dt
import logging

import pytest
from django.conf import settings
from django.db import connection

from apps.core.partitions import partition_name, partitions_ensure
from apps.uploads.models import DailyTotal, DailyUpload
from tests.conftest import connect, upload

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="partitioning is PostgreSQL's (SQLite keeps plain tables)",
)

D = dt.date


def home(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_rows_land_in_their_month_or_the_default_partition(city):
    connect(city.central, city.platform, since=D(2019, 1, 1))
    upload(
        city.platform,
        [(D(2023, 6, 30), "41150000001", "T1", 5), (D(2019, 12, 31), "41150000001", "T1", 7)],
    )
    june = DailyUpload.objects.get(day=D(2023, 6, 30))
    old = DailyUpload.objects.get(day=D(2019, 12, 31))
    assert home("uploads_dailyupload", june.pk) == "uploads_dailyupload_p2023_06"
    assert home("uploads_dailyupload", old.pk) == "uploads_dailyupload_default"
    total = DailyTotal.objects.get(day=D(2023, 6, 30))
    assert home("uploads_dailytotal", total.pk) == "uploads_dailytotal_p2023_06"
    # Ids stay unique across partitions: the ORM addresses rows by id alone.
    assert june.pk != old.pk
    DailyUpload.objects.filter(pk=old.pk).update(records=8)
    assert DailyUpload.objects.get(pk=old.pk).records == 8


def test_the_months_ahead_are_created_and_a_month_already_in_default_is_left(city, caplog):
    far = D(2040, 3, 1)
    connect(city.central, city.platform, since=D(2019, 1, 1))
    upload(city.platform, [(D(2040, 5, 2), "41150000001", "T1", 5)])  # in default: no partition
    with caplog.at_level(logging.WARNING):
        created = partitions_ensure(today=far)
    # 2040-03 … 2041-03 for both tables, but 2040-05 (its rows are in default).
    assert created == 2 * 13 - 2
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(%s), to_regclass(%s)",
            [
                partition_name("uploads_dailyupload", D(2040, 4, 1)),
                partition_name("uploads_dailyupload", D(2040, 5, 1)),
            ],
        )
        april, may = cursor.fetchone()
    assert april is not None and may is None
    assert "2040-05" in caplog.text
    assert partitions_ensure(today=far) == 0  # once created, nothing more to do
    upload(city.platform, [(D(2040, 4, 2), "41150000001", "T1", 5)])
    row = DailyUpload.objects.get(day=D(2040, 4, 2))
    assert home("uploads_dailyupload", row.pk) == "uploads_dailyupload_p2040_04"


def test_a_query_for_a_month_reads_only_its_partition(city):
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT sum(records) FROM uploads_dailyupload "
            "WHERE day BETWEEN '2023-06-01' AND '2023-06-30'"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "uploads_dailyupload_p2023_06" in plan
    assert "uploads_dailyupload_p2023_05" not in plan and "_default" not in plan
