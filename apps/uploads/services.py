"""Writing the upload statistics: the kind `UPLOADS` of the one path for daily
measures (apps.measures), with its roll-ups (the day's totals, the table-months'
bitmaps, the month's totals) kept in the same transaction."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _

from apps.core.bulk import copy_to_stage, rows_upsert
from apps.core.calendar import month_start
from apps.core.results import ImportResult
from apps.core.versioning import data_changed
from apps.measures.kinds import Measure, Value
from apps.measures.pipeline import (
    Progress,
    measure_import,
    measure_import_rows,
    measure_parse,
    measure_replace_day,
    measure_store,
)
from apps.platforms.models import Platform
from apps.platforms.services import is_valid_table_code
from apps.regions.models import Region

from .models import DailyTotal, DailyUpload, MonthlyTableTotal, MonthlyTotal
from .rollups import monthly_totals_refresh

BATCH = 5000


@dataclass(frozen=True)
class UploadRow:
    day: dt.date
    org_code: str
    table_code: str
    records: int
    rejected: int
    row: int | None = None  # the file's row number, where there is a file


def uploads_parse(source: str | Path | bytes, progress: Progress | None = None) -> list[UploadRow]:
    """Read and check a statistics file; any bad row refuses the whole file."""
    return measure_parse(UPLOADS, source, progress)


def uploads_import(
    *,
    source: str | Path | bytes,
    platform: Platform,
    within: Region | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Load a platform's statistics export. Rows for institutions the registry does
    not know refuse the file, listed by code, and so do, for an officer importing
    `within` a region, rows of institutions outside it; nothing is written on
    refusal. `progress(stage, done, total)` hears how far it got."""
    return measure_import(
        UPLOADS, source=source, platform=platform, within=within, progress=progress
    )


def uploads_import_rows(
    *,
    rows: Sequence[UploadRow],
    source: str | Path | bytes,
    platform: Platform,
    within: Region | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """The second half of `uploads_import`: rows `uploads_parse` read from `source`,
    checked against the registry (and `within`), stored and audited."""
    return measure_import_rows(
        UPLOADS, rows=rows, source=source, platform=platform, within=within, progress=progress
    )


def uploads_store(
    *, platform: Platform, rows: Iterable[UploadRow], institution_ids: dict[str, int]
) -> ImportResult:
    """Write checked rows: new keys are added, changed figures replace the stored
    ones (a later export of a day wins), equal rows are left alone. The roll-ups
    are refreshed for every (institution, day) that changed."""
    return measure_store(UPLOADS, platform=platform, rows=rows, institution_ids=institution_ids)


def _roll_up(platform: Platform, written: list[tuple], gone: list[tuple]) -> None:
    """The daily rows written ((institution, table, day, values, old values or
    None) each; `gone` already deleted), then the roll-ups of every (institution,
    day) they touched."""
    _write_daily_rows(platform, [(inst, code, day, *new) for inst, code, day, new, _old in written])
    deltas = [_table_day_delta(inst, code, day, old, new) for inst, code, day, new, old in written]
    deltas += [_table_day_delta(inst, code, day, old, None) for inst, code, day, old in gone]
    _totals_update(
        platform=platform,
        touched={(inst, day) for inst, _code, day, *_values in (*written, *gone)},
        deltas=deltas,
    )


def _table_day_delta(
    inst: int, code: str, day: dt.date, old: tuple | None, new: tuple | None
) -> tuple[int, str, dt.date, int, int]:
    """What one daily row's change (None: no row) adds to its table-month's bitmaps
    of the days reported and of the days with records: the day's bit, its
    negative, or nothing."""
    bit = 1 << (day.day - 1)
    was_days, was_up = (0, 0) if old is None else (1, int(old[0] > 0))
    now_days, now_up = (0, 0) if new is None else (1, int(new[0] > 0))
    return inst, code, day, (now_days - was_days) * bit, (now_up - was_up) * bit


TABLE_MONTH_COLUMNS = (
    ("platform_id", "bigint"),
    ("institution_id", "bigint"),
    ("table_code", "varchar(64)"),
    ("month", "date"),
    ("report_days", "bigint"),
    ("upload_days", "bigint"),
)


def _totals_update(
    *,
    platform: Platform,
    touched: set[tuple[int, dt.date]],
    deltas: list[tuple[int, str, dt.date, int, int]],
) -> None:
    """Bring the roll-ups up to date after a write whose every change is known:
    the days touched are re-added from their own rows (a day is small); each
    table-month's bitmaps of the days reported and with records get the day's bit
    added or taken (most revisions change neither, and write nothing there), and
    it loses its row when no day is left; last, the touched institutions' months
    are rebuilt from those two (MonthlyTotal)."""
    if not touched:
        return
    data_changed()  # bulk writes fire no signals: the figures' cache must hear of them
    _daily_totals_refresh(platform, touched)
    by_month: dict[tuple[int, str, dt.date], list[int]] = {}
    for inst, code, day, days, upload_days in deltas:
        if days or upload_days:
            sums = by_month.setdefault((inst, code, month_start(day)), [0, 0])
            sums[0] += days
            sums[1] += upload_days
    rows = [
        (platform.pk, inst, code, month, d, u)
        for (inst, code, month), (d, u) in by_month.items()
        if d or u
    ]
    with connection.cursor() as cursor:
        rows_upsert(
            cursor,
            table=MonthlyTableTotal._meta.db_table,
            columns=TABLE_MONTH_COLUMNS,
            key=["platform_id", "institution_id", "table_code", "month"],
            rows=rows,
            stage="hipwatch_table_month_stage",
            accumulate=["report_days", "upload_days"],
        )
        # Only a row that went takes a bit from a table-month's days reported.
        _table_months_drop_empty(
            cursor, platform, sorted({m for (_i, _c, m), (d, _u) in by_month.items() if d < 0})
        )
        _monthly_totals_update(cursor, platform, touched)


def _table_months_drop_empty(cursor, platform: Platform, months: Sequence[dt.date]) -> None:
    """A table-month with no day left has no row."""
    for month in months:
        cursor.execute(
            f"DELETE FROM {MonthlyTableTotal._meta.db_table} "
            "WHERE platform_id = %s AND month = %s AND report_days = 0",
            [platform.pk, month],
        )


def _monthly_totals_update(cursor, platform: Platform, touched: Iterable[tuple[int, dt.date]]):
    months: dict[dt.date, set[int]] = defaultdict(set)
    for inst, day in touched:
        months[month_start(day)].add(inst)
    for month, insts in sorted(months.items()):
        for ids in _chunks(sorted(insts)):
            monthly_totals_refresh(cursor, platform.pk, month, ids)


def _totals_shift(cursor, platform: Platform, day: dt.date, deltas: list[tuple]) -> None:
    """The day's and the month's totals of these institutions moved by (institution,
    records, rejected) differences: one UPDATE each, from a staging table."""
    copy_to_stage(
        cursor,
        "hipwatch_total_shift",
        "institution_id bigint, records bigint, rejected bigint",
        deltas,
    )
    for table, column, value in (
        (DailyTotal._meta.db_table, "day", day),
        (MonthlyTotal._meta.db_table, "month", month_start(day)),
    ):
        cursor.execute(
            f"UPDATE {table} t SET records = t.records + s.records, "
            "rejected = t.rejected + s.rejected FROM hipwatch_total_shift s "
            f"WHERE t.platform_id = %s AND t.{column} = %s AND t.institution_id = s.institution_id",
            [platform.pk, value],
        )
    cursor.execute("DELETE FROM hipwatch_total_shift")


def _by_date(keys: set[tuple[int, dt.date]]) -> dict[dt.date, list[int]]:
    grouped: dict[dt.date, list[int]] = defaultdict(list)
    for inst, date in keys:
        grouped[date].append(inst)
    return grouped


def _chunks(ids: list[int], size: int = 5000):
    for n in range(0, len(ids), size):
        yield ids[n : n + size]


def _daily_totals_refresh(platform: Platform, keys: set[tuple[int, dt.date]]) -> None:
    """Rebuilt in the database (INSERT … SELECT): no row travels through Python."""
    daily, totals = DailyUpload._meta.db_table, DailyTotal._meta.db_table
    if connection.vendor == "sqlite":
        # Without statistics SQLite's planner would take the unique key from the
        # institutions and walk every row of each of them for each day: a year's
        # import would read the table once per day. One day's rows are few.
        daily += " INDEXED BY daily_upload_platform_day"
    with connection.cursor() as cursor:
        for day, insts in _by_date(keys).items():
            for ids in _chunks(sorted(insts)):
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(
                    f"DELETE FROM {totals} WHERE platform_id = %s "
                    f"AND day = %s AND institution_id IN ({marks})",
                    [platform.pk, day, *ids],
                )
                cursor.execute(
                    f"INSERT INTO {totals} "
                    "(platform_id, institution_id, day, records, rejected, tables) "
                    "SELECT platform_id, institution_id, day, SUM(records), SUM(rejected), "
                    "SUM(CASE WHEN records > 0 THEN 1 ELSE 0 END) "
                    f"FROM {daily} WHERE platform_id = %s AND day = %s "
                    f"AND institution_id IN ({marks}) "
                    "GROUP BY platform_id, institution_id, day",
                    [platform.pk, day, *ids],
                )


def _write_daily_rows(platform: Platform, rows: list[tuple]) -> None:
    """Insert or update (institution id, table code, day, records, rejected) rows.
    On PostgreSQL through COPY into a staging table and one INSERT … ON CONFLICT;
    on SQLite through one prepared INSERT … ON CONFLICT; elsewhere bulk_create."""
    if not rows:
        return
    table = DailyUpload._meta.db_table
    if connection.vendor == "sqlite":
        # What bulk_create(update_conflicts=True) sends, as one prepared statement
        # run for every row: no model instance per row (a year of a city's rows
        # took seconds to build and batch).
        with connection.cursor() as cursor:
            for start in range(0, len(rows), BATCH):
                cursor.executemany(
                    f"INSERT INTO {table} "
                    "(platform_id, institution_id, table_code, day, records, rejected) "
                    "VALUES (%s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (platform_id, institution_id, table_code, day) "
                    "DO UPDATE SET records = excluded.records, rejected = excluded.rejected",
                    [(platform.pk, *row) for row in rows[start : start + BATCH]],
                )
        return
    if connection.vendor != "postgresql":
        DailyUpload.objects.bulk_create(
            [
                DailyUpload(
                    platform=platform,
                    institution_id=inst,
                    table_code=code,
                    day=day,
                    records=records,
                    rejected=rejected,
                )
                for inst, code, day, records, rejected in rows
            ],
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["platform", "institution", "table_code", "day"],
            update_fields=["records", "rejected"],
        )
        return
    with transaction.atomic(), connection.cursor() as cursor:
        copy_to_stage(
            cursor,
            "hipwatch_upload_stage",
            "institution_id bigint, table_code varchar(64), day date, "
            "records bigint, rejected bigint",
            rows,
        )
        cursor.execute(
            f"INSERT INTO {table} "
            "(platform_id, institution_id, table_code, day, records, rejected) "
            "SELECT %s, institution_id, table_code, day, records, rejected "
            "FROM hipwatch_upload_stage "
            "ON CONFLICT (platform_id, institution_id, table_code, day) "
            "DO UPDATE SET records = EXCLUDED.records, rejected = EXCLUDED.rejected",
            [platform.pk],
        )
        cursor.execute("DELETE FROM hipwatch_upload_stage")


def uploads_replace_day(
    *, platform: Platform, day: dt.date, rows: list[UploadRow], institution_ids: dict[str, int]
) -> ImportResult:
    """Replace everything stored for one platform and day by `rows` (a platform's
    complete, newer figures for that day): what the new figures lack is deleted,
    so a revised day never adds up with the old one."""
    return measure_replace_day(
        UPLOADS, platform=platform, day=day, rows=rows, institution_ids=institution_ids
    )


def _replace_day_fast(
    platform: Platform, day: dt.date, new: dict[tuple[int, str], tuple[int, int]]
) -> ImportResult | None:
    if connection.vendor != "postgresql":
        return None
    return _replace_day_in_sql(platform, day, new)


def _replace_day_in_sql(
    platform: Platform, day: dt.date, new: dict[tuple[int, str], tuple[int, int]]
) -> ImportResult:
    """`uploads_replace_day` on PostgreSQL: the new day COPY'd into a staging table,
    compared with the stored one in SQL (one FULL JOIN into a table of changes),
    then one DELETE, one UPDATE and one INSERT of the daily rows and the roll-ups
    from the changes. Nothing of the stored day travels to Python."""
    daily, tables = DailyUpload._meta.db_table, MonthlyTableTotal._meta.db_table
    month, pk = month_start(day), platform.pk
    with connection.cursor() as cursor:
        copy_to_stage(
            cursor,
            "hipwatch_day_stage",
            "institution_id bigint, table_code varchar(64), records bigint, rejected bigint",
            ((inst, code, r, x) for (inst, code), (r, x) in new.items()),
        )
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS hipwatch_day_diff (institution_id bigint, "
            "table_code varchar(64), old_records bigint, old_rejected bigint, "
            "new_records bigint, new_rejected bigint) ON COMMIT DELETE ROWS"
        )
        cursor.execute("DELETE FROM hipwatch_day_diff")  # an earlier day of this transaction
        cursor.execute(
            "INSERT INTO hipwatch_day_diff "
            "SELECT COALESCE(n.institution_id, o.institution_id), "
            "COALESCE(n.table_code, o.table_code), o.records, o.rejected, n.records, "
            "n.rejected FROM hipwatch_day_stage n FULL JOIN ("
            f"SELECT institution_id, table_code, records, rejected FROM {daily} "
            "WHERE platform_id = %s AND day = %s) o "
            "ON o.institution_id = n.institution_id AND o.table_code = n.table_code "
            "WHERE o.records IS DISTINCT FROM n.records "
            "OR o.rejected IS DISTINCT FROM n.rejected",
            [pk, day],
        )
        cursor.execute("ANALYZE hipwatch_day_diff")
        cursor.execute(
            "SELECT COUNT(*) FILTER (WHERE old_records IS NULL), "
            "COUNT(*) FILTER (WHERE old_records IS NOT NULL AND new_records IS NOT NULL), "
            "COUNT(*) FILTER (WHERE new_records IS NULL) FROM hipwatch_day_diff"
        )
        created, updated, deleted = cursor.fetchone()
        result = ImportResult()
        result.created, result.updated, result.deleted = created, updated, deleted
        result.unchanged = len(new) - created - updated
        if not created + updated + deleted:
            cursor.execute("DELETE FROM hipwatch_day_stage")
            return result
        data_changed()
        same_row = (
            "u.platform_id = %s AND u.day = %s AND u.institution_id = c.institution_id "
            "AND u.table_code = c.table_code"
        )
        cursor.execute(
            f"DELETE FROM {daily} u USING hipwatch_day_diff c "
            f"WHERE c.new_records IS NULL AND {same_row}",
            [pk, day],
        )
        # The day's rows are read in one scan and joined by hash or merge, not looked
        # up one by one through the unique index (a revised province day: 94,000
        # lookups scattered over the month's partition, 0.5 of the UPDATE's 0.9 s).
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(
            f"UPDATE {daily} u SET records = c.new_records, rejected = c.new_rejected "
            "FROM hipwatch_day_diff c WHERE c.old_records IS NOT NULL "
            f"AND c.new_records IS NOT NULL AND {same_row}",
            [pk, day],
        )
        cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")
        cursor.execute(
            f"INSERT INTO {daily} (platform_id, institution_id, table_code, day, records, "
            "rejected) SELECT %s, institution_id, table_code, %s, new_records, new_rejected "
            "FROM hipwatch_day_diff WHERE old_records IS NULL",
            [pk, day],
        )
        # An institution whose changes are all of counts (each row there before and
        # after, with records before as after or none before as after) keeps its
        # days, tables and last day in every roll-up: its day's and month's totals
        # move by the difference. The others' totals are rebuilt.
        counts_only = (
            "bool_and(old_records IS NOT NULL AND new_records IS NOT NULL "
            "AND (old_records > 0) = (new_records > 0))"
        )
        cursor.execute(
            "SELECT institution_id, SUM(new_records - old_records), "
            f"SUM(new_rejected - old_rejected), {counts_only} "
            "FROM hipwatch_day_diff GROUP BY institution_id"
        )
        deltas, touched = [], set()
        for inst, records, rejected, only_counts in cursor.fetchall():
            if only_counts:
                deltas.append((inst, records, rejected))
            else:
                touched.add((inst, day))
        if deltas:
            _totals_shift(cursor, platform, day, deltas)
        _daily_totals_refresh(platform, touched)
        # The table-months' bitmaps of the days reported and with records: the
        # day's bit added or taken; a change of counts alone changes neither.
        was_days = "(CASE WHEN old_records IS NULL THEN 0 ELSE 1 END)"
        now_days = "(CASE WHEN new_records IS NULL THEN 0 ELSE 1 END)"
        was_up = "(CASE WHEN old_records > 0 THEN 1 ELSE 0 END)"
        now_up = "(CASE WHEN new_records > 0 THEN 1 ELSE 0 END)"
        cursor.execute(
            f"INSERT INTO {tables} (platform_id, institution_id, table_code, month, "
            "report_days, upload_days) SELECT * FROM (SELECT %s::bigint, institution_id, "
            f"table_code, %s::date, ({now_days} - {was_days}) * %s::bigint AS d, "
            f"({now_up} - {was_up}) * %s::bigint AS u FROM hipwatch_day_diff) c "
            "WHERE d <> 0 OR u <> 0 "
            "ON CONFLICT (platform_id, institution_id, table_code, month) DO UPDATE SET "
            f"report_days = {tables}.report_days + excluded.report_days, "
            f"upload_days = {tables}.upload_days + excluded.upload_days",
            [pk, month, 1 << (day.day - 1), 1 << (day.day - 1)],
        )
        if deleted:
            _table_months_drop_empty(cursor, platform, [month])
        _monthly_totals_update(cursor, platform, touched)
        cursor.execute("DELETE FROM hipwatch_day_stage")
        cursor.execute("DELETE FROM hipwatch_day_diff")
    return result


UPLOADS = Measure(
    name="uploads",
    code="table_code",
    code_header="表代码",
    code_ok=is_valid_table_code,
    code_problem=lambda: _("Table code “%(code)s” is malformed."),
    values=(
        Value(
            "records",
            "上传记录数",
            lambda: _("Records uploaded “%(value)s” should be 0 or a positive whole number."),
        ),
        Value(
            "rejected",
            "校验未通过数",
            lambda: _("Records rejected “%(value)s” should be 0 or a positive whole number."),
        ),
    ),
    repeats=lambda: _("Repeats row %(other)d (same date, institution and table)."),
    twice=lambda: _("the same institution and table twice"),
    row=UploadRow,
    daily_model=DailyUpload,
    code_column="table_code",
    roll_up=_roll_up,
    replace_day_fast=_replace_day_fast,
)
UPLOAD_COLUMNS = UPLOADS.columns
