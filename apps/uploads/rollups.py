"""The monthly roll-ups built in SQL. MonthlyTotal (per institution and month) from
the two finer ones: its records, rejected, bitmap of days with records and last
such day from DailyTotal, its table codes from MonthlyTableTotal; written for the
months a write touched (`monthly_totals_refresh`) or for all of them at once
(`monthly_totals_rebuild`). MonthlyTableTotal is kept by the storage service by
differences; `table_months_rebuild` builds it from the daily rows (migrations and
the benchmarks' bulk builds)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from apps.core.calendar import month_end

TOTALS, DAILY, TABLES = "uploads_monthlytotal", "uploads_dailytotal", "uploads_monthlytabletotal"
COLUMNS = (
    "platform_id, institution_id, month, records, rejected, upload_days, last_upload, "
    "tables, silent_tables"
)


def _dialect(vendor: str) -> dict[str, str]:
    if vendor == "postgresql":
        return {
            "bit": "(1::bigint << (EXTRACT(DAY FROM day)::int - 1))",
            "month": "date_trunc('month', day)::date",
            "concat": "string_agg({0}, ',' ORDER BY {0})",
            "sum": "SUM({0})::bigint",
        }
    return {
        "bit": "(1 << (CAST(strftime('%%d', day) AS INTEGER) - 1))",
        "month": "date(day, 'start of month')",
        "concat": "group_concat({0}, ',')",
        "sum": "SUM({0})",
    }


def _select(vendor: str, where_daily: str, where_tables: str) -> str:
    """The roll-up's rows: per institution and month of the daily totals selected
    by `where_daily`, joined to the codes of the table-months `where_tables` selects."""
    d = _dialect(vendor)
    month = d["month"]
    up = d["concat"].format("CASE WHEN upload_days <> 0 THEN table_code END")
    silent = d["concat"].format("CASE WHEN upload_days = 0 THEN table_code END")
    bits = d["sum"].format(f"CASE WHEN records > 0 THEN {d['bit']} ELSE 0 END")
    return (
        f"SELECT d.platform_id, d.institution_id, d.month, d.r, d.x, d.bits, d.last, "
        "COALESCE(c.up, ''), COALESCE(c.silent, '') FROM ("
        f"SELECT platform_id, institution_id, {month} AS month, "
        f"{d['sum'].format('records')} AS r, {d['sum'].format('rejected')} AS x, "
        f"{bits} AS bits, MAX(CASE WHEN records > 0 THEN day END) AS last "
        f"FROM {DAILY} WHERE {where_daily} GROUP BY platform_id, institution_id, {month}"
        ") d LEFT JOIN ("
        f"SELECT platform_id, institution_id, month, {up} AS up, {silent} AS silent "
        f"FROM {TABLES} WHERE {where_tables} GROUP BY platform_id, institution_id, month"
        ") c ON c.platform_id = d.platform_id AND c.institution_id = d.institution_id "
        "AND c.month = d.month"
    )


def monthly_totals_refresh(
    cursor, platform_id: int, month: dt.date, institution_ids: Sequence[int]
) -> None:
    """Rebuild the month's rows of these institutions (after a write to their
    daily rows and to both finer roll-ups; an institution left without daily rows
    in the month loses its row)."""
    if not institution_ids:
        return
    vendor = cursor.db.vendor
    marks = ", ".join(["%s"] * len(institution_ids))
    ids = list(institution_ids)
    cursor.execute(
        f"DELETE FROM {TOTALS} WHERE platform_id = %s AND month = %s "
        f"AND institution_id IN ({marks})",
        [platform_id, month, *ids],
    )
    select = _select(
        vendor,
        f"platform_id = %s AND day >= %s AND day <= %s AND institution_id IN ({marks})",
        f"platform_id = %s AND month = %s AND institution_id IN ({marks})",
    )
    cursor.execute(
        f"INSERT INTO {TOTALS} ({COLUMNS}) {select}",
        [platform_id, month, month_end(month), *ids, platform_id, month, *ids],
    )


def table_months_rebuild(cursor) -> None:
    """Every row of MonthlyTableTotal, again, from the daily rows (one statement)."""
    d = _dialect(cursor.db.vendor)
    reported = d["sum"].format(d["bit"])
    uploaded = d["sum"].format(f"CASE WHEN records > 0 THEN {d['bit']} ELSE 0 END")
    cursor.execute(f"DELETE FROM {TABLES}")
    cursor.execute(
        f"INSERT INTO {TABLES} "
        "(platform_id, institution_id, table_code, month, report_days, upload_days) "
        f"SELECT platform_id, institution_id, table_code, {d['month']}, {reported}, "
        f"{uploaded} FROM uploads_dailyupload "
        f"GROUP BY platform_id, institution_id, table_code, {d['month']}",
        [],
    )


def monthly_totals_rebuild(cursor) -> None:
    """Every row of the roll-up, again, from the finer ones (one statement)."""
    cursor.execute(f"DELETE FROM {TOTALS}")
    # Empty parameters, not none: the SQL's %% are then read as %.
    cursor.execute(
        f"INSERT INTO {TOTALS} ({COLUMNS}) {_select(cursor.db.vendor, '1 = 1', '1 = 1')}", []
    )
