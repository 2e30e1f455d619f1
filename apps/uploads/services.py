import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from apps.audit.services import audit_import
from apps.core.bulk import copy_to_stage
from apps.core.calendar import month_end, month_start
from apps.core.results import ImportResult
from apps.core.tabular import FileRefused, parse_count, parse_date, read_rows
from apps.core.versioning import data_changed
from apps.institutions.services import institution_ids_of_rows, is_valid_org_code
from apps.platforms.models import Platform
from apps.platforms.services import is_valid_table_code
from apps.regions.models import Region

from .models import DailyTotal, DailyUpload, MonthlyTableTotal
from .rollups import monthly_totals_refresh

# progress(stage, done, total): where a long import has got to.
Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 10_000

UPLOAD_COLUMNS = {
    "date": ["日期"],
    "org_code": ["机构代码"],
    "table_code": ["表代码"],
    "records": ["上传记录数"],
    "rejected": ["校验未通过数"],
}
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
    rows = read_rows(source, UPLOAD_COLUMNS)
    if progress:
        progress(_("Checking the rows"), 0, len(rows))
    problems: list[str] = []
    parsed: list[UploadRow] = []
    seen: dict[tuple, int] = {}
    # A file repeats the same days, codes and counts on many rows: each distinct
    # text is read once (a cache per file).
    day_of, org_ok, table_ok, count_of = (
        functools.cache(read)
        for read in (parse_date, is_valid_org_code, is_valid_table_code, parse_count)
    )
    for index, row in enumerate(rows, start=1):
        if progress and index % PROGRESS_EVERY == 0:
            progress(_("Checking the rows"), index, len(rows))
        v = row.values
        row_problems = []
        day = day_of(v["date"])
        if day is None:
            row_problems.append(_("Unrecognised date “%(value)s”.") % {"value": v["date"]})
        if not org_ok(v["org_code"]):
            row_problems.append(
                _("Institution code “%(code)s” is malformed.") % {"code": v["org_code"]}
            )
        if not table_ok(v["table_code"]):
            row_problems.append(
                _("Table code “%(code)s” is malformed.") % {"code": v["table_code"]}
            )
        records, rejected = count_of(v["records"]), count_of(v["rejected"])
        if records is None:
            row_problems.append(
                _("Records uploaded “%(value)s” should be 0 or a positive whole number.")
                % {"value": v["records"]}
            )
        if rejected is None:
            row_problems.append(
                _("Records rejected “%(value)s” should be 0 or a positive whole number.")
                % {"value": v["rejected"]}
            )
        if not row_problems:
            key = (day, v["org_code"], v["table_code"])
            if key in seen:
                row_problems.append(
                    _("Repeats row %(other)d (same date, institution and table).")
                    % {"other": seen[key]}
                )
            else:
                seen[key] = row.number
                parsed.append(
                    UploadRow(day, v["org_code"], v["table_code"], records, rejected, row.number)
                )
        if row_problems:
            where = _("Row %(row)d: ") % {"row": row.number}
            problems.extend(where + p for p in row_problems)
    if problems:
        raise FileRefused(problems)
    return parsed


@transaction.atomic
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
    rows = uploads_parse(source, progress)
    return uploads_import_rows(
        rows=rows, source=source, platform=platform, within=within, progress=progress
    )


@transaction.atomic
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
    known = institution_ids_of_rows(Counter(r.org_code for r in rows), within=within)
    if progress:
        progress(_("Storing the rows"), 0, len(rows))
    result = uploads_store(platform=platform, rows=rows, institution_ids=known)
    if progress:
        progress(_("Storing the rows"), len(rows), len(rows))
    audit_import(what=f"uploads {platform.code}", source=source, result=result)
    return result


@transaction.atomic
def uploads_store(
    *, platform: Platform, rows: Iterable[UploadRow], institution_ids: dict[str, int]
) -> ImportResult:
    """Write checked rows: new keys are added, changed figures replace the stored
    ones (a later export of a day wins), equal rows are left alone. The daily
    roll-up is refreshed for every (institution, day) that changed."""
    rows = list(rows)
    result = ImportResult()
    if not rows:
        return result
    ids = set(institution_ids.values())
    days = [r.day for r in rows]
    existing = {
        (inst, code, day): (rec, rej)
        for inst, code, day, rec, rej in DailyUpload.objects.filter(
            platform=platform, institution_id__in=ids, day__gte=min(days), day__lte=max(days)
        ).values_list("institution_id", "table_code", "day", "records", "rejected")
    }
    to_write: list[tuple] = []
    touched: set[tuple[int, dt.date]] = set()
    deltas: list[tuple] = []
    records_label, rejected_label = UPLOAD_COLUMNS["records"][0], UPLOAD_COLUMNS["rejected"][0]
    for r in rows:
        inst = institution_ids[r.org_code]
        old = existing.get((inst, r.table_code, r.day))
        if old == (r.records, r.rejected):
            result.same()
            continue
        key = f"{r.day.isoformat()} {r.org_code} {r.table_code}"
        if old is None:
            result.add(r.row, key)
        else:
            result.change(
                r.row,
                key,
                [
                    (label, was, now)
                    for label, was, now in (
                        (records_label, old[0], r.records),
                        (rejected_label, old[1], r.rejected),
                    )
                    if was != now
                ],
            )
        touched.add((inst, r.day))
        to_write.append((inst, r.table_code, r.day, r.records, r.rejected))
        was_records, was_rejected = old or (0, 0)
        deltas.append(
            (inst, r.table_code, r.day, r.records - was_records, r.rejected - was_rejected)
        )
    _write_daily_rows(platform, to_write)
    _totals_update(platform=platform, touched=touched, deltas=deltas, gone=[])
    return result


def _totals_update(
    *,
    platform: Platform,
    touched: set[tuple[int, dt.date]],
    deltas: list[tuple[int, str, dt.date, int, int]],
    gone: list[tuple[int, str, dt.date]],
) -> None:
    """Bring the roll-ups up to date after a write whose every change is known:
    the days touched are re-added from their own rows (a day is small), and each
    month gets the difference (new − old) per table, so a night late in a month
    does not re-read the month. A table whose last row of a month went is removed.
    Last, the touched institutions' months are rebuilt from those two (MonthlyTotal:
    a month of days and a hundred table-months per institution)."""
    if not touched:
        return
    data_changed()  # bulk writes fire no signals: the figures' cache must hear of them
    _daily_totals_refresh(platform, touched)
    by_month: dict[tuple[int, str, dt.date], list[int]] = {}
    for inst, code, day, records, rejected in deltas:
        sums = by_month.setdefault((inst, code, month_start(day)), [0, 0])
        sums[0] += records
        sums[1] += rejected
    totals = MonthlyTableTotal._meta.db_table
    rows = [
        (platform.pk, inst, code, month, r, x) for (inst, code, month), (r, x) in by_month.items()
    ]
    upsert = (
        f"INSERT INTO {totals} "
        "(platform_id, institution_id, table_code, month, records, rejected) {source} "
        "ON CONFLICT (platform_id, institution_id, table_code, month) DO UPDATE SET "
        f"records = {totals}.records + excluded.records, "
        f"rejected = {totals}.rejected + excluded.rejected"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement from a COPY'd staging table: binding 100,000 rows of
            # parameters client-side costs more than the upsert itself.
            copy_to_stage(
                cursor,
                "hipwatch_month_stage",
                "platform_id bigint, institution_id bigint, table_code varchar(64), "
                "month date, records bigint, rejected bigint",
                rows,
            )
            cursor.execute(upsert.format(source="SELECT * FROM hipwatch_month_stage"))
            cursor.execute("DELETE FROM hipwatch_month_stage")
        else:
            for start in range(0, len(rows), 500):
                chunk = rows[start : start + 500]
                values = "VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
                cursor.execute(upsert.format(source=values), [v for row in chunk for v in row])
    # A table whose last row of a month went loses its monthly row: one DELETE per
    # month over the candidates (a monthly row without daily rows is never right).
    emptied: dict[dt.date, tuple[set[int], set[str]]] = {}
    for inst, code, day in gone:
        insts, codes = emptied.setdefault(month_start(day), (set(), set()))
        insts.add(inst)
        codes.add(code)
    for month, (insts, codes) in emptied.items():
        MonthlyTableTotal.objects.filter(
            platform=platform, month=month, institution_id__in=insts, table_code__in=codes
        ).exclude(
            Exists(
                DailyUpload.objects.filter(
                    platform=platform,
                    institution_id=OuterRef("institution_id"),
                    table_code=OuterRef("table_code"),
                    day__gte=month,
                    day__lte=month_end(month),
                )
            )
        ).delete()
    months: dict[dt.date, set[int]] = defaultdict(set)
    for inst, day in touched:
        months[month_start(day)].add(inst)
    with connection.cursor() as cursor:
        for month, insts in sorted(months.items()):
            for ids in _chunks(sorted(insts)):
                monthly_totals_refresh(cursor, platform.pk, month, ids)


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


@transaction.atomic
def uploads_replace_day(
    *, platform: Platform, day: dt.date, rows: list[UploadRow], institution_ids: dict[str, int]
) -> ImportResult:
    """Replace everything stored for one platform and day by `rows` (a platform's
    complete, newer figures for that day): what the new figures lack is deleted,
    so a revised day never adds up with the old one."""
    result = ImportResult()
    old = {
        (inst, code): (rec, rej)
        for inst, code, rec, rej in DailyUpload.objects.filter(
            platform=platform, day=day
        ).values_list("institution_id", "table_code", "records", "rejected")
    }
    new = {(institution_ids[r.org_code], r.table_code): (r.records, r.rejected) for r in rows}
    gone = old.keys() - new.keys()
    gone_tables: dict[int, list[str]] = defaultdict(list)
    for inst, code in gone:
        gone_tables[inst].append(code)
    for inst, codes in gone_tables.items():
        DailyUpload.objects.filter(
            platform=platform, day=day, institution_id=inst, table_code__in=codes
        ).delete()
    changed = [key for key, value in new.items() if old.get(key) != value]
    result.created = sum(1 for key in changed if key not in old)
    result.updated = len(changed) - result.created
    result.unchanged = len(new) - len(changed)
    _write_daily_rows(platform, [(inst, code, day, *new[(inst, code)]) for inst, code in changed])
    result.deleted = len(gone)
    deltas = []
    for key in changed:
        was_records, was_rejected = old.get(key, (0, 0))
        records, rejected = new[key]
        deltas.append((*key, day, records - was_records, rejected - was_rejected))
    deltas += [
        (inst, code, day, -old[(inst, code)][0], -old[(inst, code)][1]) for inst, code in gone
    ]
    _totals_update(
        platform=platform,
        touched={(inst, day) for inst, _code in (*gone, *changed)},
        deltas=deltas,
        gone=[(inst, code, day) for inst, code in gone],
    )
    return result
