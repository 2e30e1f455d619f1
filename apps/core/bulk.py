"""Writing many rows at once, faster than the ORM's bulk_create: PostgreSQL's COPY
into a session's staging table (then one INSERT … SELECT … ON CONFLICT)."""

from collections.abc import Sequence


def copy_to_stage(cursor, stage: str, columns: str, rows) -> None:
    """COPY rows into a session's staging table (PostgreSQL), emptied at commit."""
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({columns}) ON COMMIT DELETE ROWS")
    with cursor.copy(f"COPY {stage} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


BATCH = 5000


def rows_upsert(
    cursor,
    *,
    table: str,
    columns: Sequence[tuple[str, str]],
    key: Sequence[str],
    rows: Sequence[tuple],
    stage: str,
    accumulate: Sequence[str] = (),
) -> None:
    """Insert or update `rows` (tuples in the order of `columns`, each a (name,
    PostgreSQL type) pair) in `table`, whose unique key is `key`; the other columns
    take the row's values. No model instance per row: on PostgreSQL COPY into the
    staging table `stage` and one INSERT … SELECT … ON CONFLICT; on SQLite one
    prepared INSERT … ON CONFLICT run per row. The columns named in `accumulate`
    add the row's value to the stored one instead (a roll-up's deltas)."""
    if not rows:
        return
    names = [name for name, _type in columns]
    updates = ", ".join(
        f"{n} = {table}.{n} + excluded.{n}" if n in accumulate else f"{n} = excluded.{n}"
        for n in names
        if n not in key
    )
    conflict = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    listed = ", ".join(names)
    if cursor.db.vendor == "postgresql":
        copy_to_stage(cursor, stage, ", ".join(f"{n} {t}" for n, t in columns), rows)
        cursor.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {stage} {conflict}")
        cursor.execute(f"DELETE FROM {stage}")
        return
    marks = ", ".join(["%s"] * len(names))
    for start in range(0, len(rows), BATCH):
        cursor.executemany(
            f"INSERT INTO {table} ({listed}) VALUES ({marks}) {conflict}",
            rows[start : start + BATCH],
        )
