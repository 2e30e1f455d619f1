"""Writing many rows at once, faster than the ORM's bulk_create: PostgreSQL's COPY
into a session's staging table (then one INSERT … SELECT … ON CONFLICT)."""


def copy_to_stage(cursor, stage: str, columns: str, rows) -> None:
    """COPY rows into a session's staging table (PostgreSQL), emptied at commit."""
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({columns}) ON COMMIT DELETE ROWS")
    with cursor.copy(f"COPY {stage} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
