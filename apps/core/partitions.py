"""Monthly range partitions of the daily statistics on PostgreSQL (declarative
partitioning). SQLite, the embedded default, keeps plain tables.

A partitioned table is the parent of one table per month (`<table>_p2023_06`) and
a default partition for days outside them; a query with a range of days reads only
its months (partition pruning), a night's upsert touches one month, and an old year
is detached without a DELETE:

    ALTER TABLE uploads_dailyupload DETACH PARTITION uploads_dailyupload_p2020_01;

The partitions carry a lower fillfactor: a revised day is an UPDATE of the rows it
already has (ON CONFLICT DO UPDATE), and free room on their page keeps those
updates HOT (no index entry rewritten). `partitions_ensure` (beat, monthly) creates
the months ahead before any row can fall into the default partition.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection

logger = logging.getLogger(__name__)

# The partitioned tables, each by its day column.
PARTITIONED = {"uploads_dailyupload": "day", "uploads_dailytotal": "day"}
FIRST_MONTH = dt.date(2020, 1, 1)
MONTHS_AHEAD = 12
FILLFACTOR = 85


def _months(first: dt.date, last: dt.date):
    month = first.replace(day=1)
    while month <= last:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        yield month, following
        month = following


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y_%m}"


def _create_month(cursor, table: str, month: dt.date, following: dt.date) -> bool:
    name = partition_name(table, month)
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cursor.fetchone()[0]:
        return False
    cursor.execute(
        f"CREATE TABLE {name} PARTITION OF {table} "
        f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}') "
        f"WITH (fillfactor = {FILLFACTOR})"
    )
    return True


def partition_table(cursor, table: str, column: str, last: dt.date) -> None:
    """Turn `table` into a table partitioned by month of `column`, its rows, keys,
    constraints and indexes kept under their names. The primary key becomes
    (id, column): PostgreSQL's unique keys must hold the partition key; Django
    still addresses rows by id, which the identity keeps unique."""
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [table],
    )
    indexes = cursor.fetchall()
    new = f"{table}_partitioned"
    cursor.execute(
        f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING IDENTITY) PARTITION BY RANGE ({column})"
    )
    for month, following in _months(FIRST_MONTH, last):
        # Created under the final name's partitions: the parent is renamed below.
        cursor.execute(
            f"CREATE TABLE {partition_name(table, month)} PARTITION OF {new} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}') "
            f"WITH (fillfactor = {FILLFACTOR})"
        )
    cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {new} DEFAULT")
    cursor.execute(f"INSERT INTO {new} OVERRIDING SYSTEM VALUE SELECT * FROM {table}")
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
    restart = cursor.fetchone()[0]
    cursor.execute(f"DROP TABLE {table}")
    cursor.execute(f"ALTER TABLE {new} RENAME TO {table}")
    cursor.execute(f"ALTER TABLE {table} ALTER COLUMN id RESTART WITH {restart}")
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, {column})")
    for name, _kind, definition in constraints:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for _name, definition in indexes:
        cursor.execute(definition)


def partitions_ensure(today: dt.date | None = None) -> int:
    """Create the monthly partitions up to MONTHS_AHEAD months from today (beat
    runs it monthly); a month whose rows already went to the default partition is
    left for an administrator, and said in the log. Returns how many were created."""
    if connection.vendor != "postgresql":
        return 0
    today = today or dt.date.today()
    last = (today.replace(day=1) + dt.timedelta(days=31 * MONTHS_AHEAD)).replace(day=1)
    created = 0
    with connection.cursor() as cursor:
        for table, column in PARTITIONED.items():
            for month, following in _months(today.replace(day=1), last):
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {table}_default "
                    f"WHERE {column} >= %s AND {column} < %s)",
                    [month, following],
                )
                if cursor.fetchone()[0]:
                    logger.warning(
                        "%s: rows of %s are in the default partition; create its partition by hand",
                        table,
                        month.strftime("%Y-%m"),
                    )
                    continue
                created += _create_month(cursor, table, month, following)
    return created
