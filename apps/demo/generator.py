"""Deterministic demo upload statistics for the hospitals of 信阳市, 2023 Q2.

The golden data is the attachment (附件) of the commission's bulletin
信卫信息函〔2023〕4号, kept as ``data/attachment.csv``. For every hospital that
sent data, :func:`generate_uploads` produces daily rows
``(day, org_code, table_code, records, rejected)`` -- the shape of the platform's
``GET /upload-stats`` items -- whose figures, computed by the definitions of
the portal's metric definitions (tables uploaded, records, last upload date), reproduce the
attachment exactly.

Pure standard library, no Django: the module can be used by a management
command, by tests, or run directly::

    python -m apps.demo.generator uploads.csv

Everything is derived from ``random.Random`` instances seeded with strings
(hashed with SHA-512 by ``random``), never from ``hash()`` or set ordering, so the
output is identical on every run whatever ``PYTHONHASHSEED`` is.
"""

from __future__ import annotations

import csv
import datetime
import random
from dataclasses import dataclass
from pathlib import Path

from apps.core.calendar import is_working_day

DATA_DIR = Path(__file__).resolve().parent / "data"
REGIONS_CSV = DATA_DIR / "regions.csv"
INSTITUTIONS_CSV = DATA_DIR / "institutions.csv"
ATTACHMENT_CSV = DATA_DIR / "attachment.csv"
TABLES_CSV = DATA_DIR / "tables-51.csv"

PERIOD_START = datetime.date(2023, 4, 1)
PERIOD_END = datetime.date(2023, 6, 30)
DEFAULT_SEED = 2023

# At or above this many records a hospital is a "large sender": it uploads on
# most days of the period up to its last upload date.
LARGE_SENDER = 100_000
# Large senders at or above this many records have very few missing days
# (at most MAX_SCATTERED_GAPS_BIG), so that with a last upload on the period's
# end their continuity is 良好 (interruption days <= 7).
VERY_LARGE_SENDER = 500_000
MAX_SCATTERED_GAPS_BIG = 4

UPLOADS_HEADER = ["date", "org_code", "table_code", "records", "rejected"]


def quarter_day_factor(day: datetime.date) -> float:
    """The second quarter's day weights: a rest day (a weekend or a public holiday)
    weighs 0.55 of a working day (调休 included), as the State Council's calendar
    has them."""
    return 1.0 if is_working_day(day) else 0.55


@dataclass(frozen=True)
class Target:
    """One attachment row with data: the figures the generated rows must give."""

    org_code: str
    tables_uploaded: int
    records: int
    last_upload_date: datetime.date


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def _read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [dict(row) for row in csv.DictReader(fh)]


def load_attachment(path=ATTACHMENT_CSV, institutions_path=None) -> list[dict]:
    """Rows of ``attachment.csv`` (values as strings, in file order), each joined
    by hospital name to ``institutions.csv`` to add ``org_code`` and ``region_code``.

    ``institutions_path`` defaults to ``institutions.csv`` next to ``path``.
    A name missing from the institutions file raises ``KeyError``.
    """
    path = Path(path)
    if institutions_path is None:
        institutions_path = path.parent / "institutions.csv"
    by_name = {row["name"].strip(): row for row in _read_csv(institutions_path)}
    rows = []
    for row in _read_csv(path):
        name = row["name"].strip()
        if name not in by_name:
            raise KeyError(f"{name!r} is in the attachment but not in {institutions_path}")
        inst = by_name[name]
        rows.append({**row, "org_code": inst["org_code"], "region_code": inst["region_code"]})
    return rows


def targets_from_attachment(rows: list[dict]) -> list[Target]:
    """The :class:`Target` of every attachment row that has data, in row order."""
    targets = []
    for row in rows:
        if not (row.get("records") or "").strip():
            continue
        targets.append(
            Target(
                org_code=row["org_code"],
                tables_uploaded=int(row["tables_uploaded"]),
                records=int(row["records"]),
                last_upload_date=datetime.date.fromisoformat(row["last_upload_date"].strip()),
            )
        )
    return targets


def load_table_codes(path=TABLES_CSV) -> list[str]:
    """The table codes of a catalogue file (``code,name,category``), in file order."""
    return [row["code"].strip() for row in _read_csv(path) if row["code"].strip()]


def write_uploads_csv(rows, path) -> None:
    """Write generated rows as ``date,org_code,table_code,records,rejected`` (UTF-8)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(UPLOADS_HEADER)
        for day, org_code, table_code, records, rejected in rows:
            writer.writerow([day.isoformat(), org_code, table_code, records, rejected])


# ---------------------------------------------------------------------------
# Table profiles: how much and how often a table is sent
# ---------------------------------------------------------------------------

_BIG = ("FEE_DETAIL", "PRESCRIPTION_DETAIL", "DRADVICE_DETAIL", "LIS_INDICATORS")
_MEDIUM = (
    "_REG",
    "CHARGE",
    "PATIENT_INFORMATION",
    "MEDICAL_RECORD",
    "LIS_REPORT",
    "RIS_REPORT",
    "ECG_REPORT",
    "DIAGNOSIS_DETAIL",
    "EMR_MJZBL",
    "ZYYJJ",
)


def _profile(code: str) -> tuple[str, float, float]:
    """(kind, volume weight, how common the table is among uploaders).

    kind is ``daily`` (business data sent every day), ``dict`` (a dictionary
    sent now and then) or ``stat`` (a daily statistics report, ~1 record a day).
    Unknown codes are ordinary daily tables.
    """
    upper = code.upper()
    if upper.startswith("JB") or upper.startswith("YP_JBXX") or upper.endswith("_ML"):
        return "dict", 0.02, 2.0
    if upper.startswith("TJ_"):
        return "stat", 0.0005, 1.0
    if any(key in upper for key in _BIG):
        return "daily", 30.0, 4.0
    if any(key in upper for key in _MEDIUM):
        return "daily", 5.0, 3.0
    return "daily", 1.0, 1.0


def _days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]


def _split_exact(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` proportionally to positive integer ``weights``, exactly
    (largest remainder, ties by position)."""
    wsum = sum(weights)
    parts = [total * w // wsum for w in weights]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % wsum), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------


def _generate_one(
    target: Target, table_codes: list[str], start: datetime.date, seed: int
) -> list[tuple[datetime.date, str, str, int, int]]:
    rng = random.Random(f"hipwatch-demo:{seed}:{target.org_code}")
    n, total, last = target.tables_uploaded, target.records, target.last_upload_date
    large = total >= LARGE_SENDER

    # 1. Which tables: weighted sample without replacement (Efraimidis-Spirakis),
    #    common business tables more likely; kept in catalogue order.
    profiles = {code: _profile(code) for code in table_codes}
    keys = [(rng.random() ** (1.0 / profiles[code][2]), -i) for i, code in enumerate(table_codes)]
    chosen_idx = sorted(sorted(range(len(table_codes)), key=lambda i: keys[i], reverse=True)[:n])
    tables = [table_codes[i] for i in chosen_idx]
    volume = {code: profiles[code][1] * rng.uniform(0.4, 1.6) for code in tables}
    primary = max(tables, key=lambda code: (volume[code], -tables.index(code)))

    # 2. Which days the hospital sends anything (the last one is always ``last``).
    span = _days(start, last)
    if large:
        if total >= VERY_LARGE_SENDER:
            n_gaps = rng.randint(0, MAX_SCATTERED_GAPS_BIG)
        else:
            n_gaps = rng.randint(1, max(1, len(span) // 12))
        gaps = rng.sample(span[:-1], min(n_gaps, len(span) - 1))
        active = [d for d in span if d not in gaps]
    else:
        cap = min(len(span), total, 3 if total < 50 else 12)
        k = rng.randint(min(2, cap), cap)
        active = sorted(rng.sample(span[:-1], k - 1)) + [last]

    # 3. Which days each table is sent.
    table_days: dict[str, list[datetime.date]] = {}
    for code in tables:
        kind = profiles[code][0]
        if kind == "dict":
            days = rng.sample(active, min(len(active), rng.randint(1, 3)))
        elif large:
            first = 0
            if kind == "daily" and rng.random() < 0.15:  # table added during the quarter
                first = rng.randint(1, max(1, len(active) // 2))
            skip = rng.uniform(0.0, 0.05)
            days = [d for d in active[first:] if rng.random() >= skip]
        else:
            days = rng.sample(active, rng.randint(1, len(active)))
        if not days:
            days = [rng.choice(active)]
        table_days[code] = days
    # Every active day (the last one in particular) has records: the primary
    # table covers any day no other table does.
    covered = {d for days in table_days.values() for d in days}
    table_days[primary] = sorted(set(table_days[primary]) | (set(active) - covered) | {last})
    for code in tables:
        table_days[code] = sorted(set(table_days[code]))

    # 4. No more cells than records (each row has at least 1 record): drop cells
    #    from the tables with the most days, keeping one per table and the
    #    primary table's last day.
    ncells = sum(len(days) for days in table_days.values())
    while ncells > total:
        code = max(tables, key=lambda c: (len(table_days[c]), -tables.index(c)))
        days = table_days[code]
        drop = days[0] if not (code == primary and days[0] == last) else days[1]
        days.remove(drop)
        ncells -= 1
    # Dropping cells may have uncovered an active day; that is fine for small
    # senders, whose upload days are just those that remain.

    # 5. Records: 1 per cell, the rest split by table volume and day activity.
    cells: list[tuple[datetime.date, str]] = []
    weights: list[int] = []
    for code in tables:
        days = table_days[code]
        per_day = volume[code] / len(days)
        for d in days:
            day_factor = quarter_day_factor(d)
            w = per_day * day_factor * rng.uniform(0.8, 1.2)
            cells.append((d, code))
            weights.append(max(1, int(w * 1_000_000)))
    amounts = [1 + extra for extra in _split_exact(total - len(cells), weights)]

    # 6. Rejected: 0 to ~2% of records, per-table rate, 0 for tiny rows.
    rates = {code: (0.0 if rng.random() < 0.3 else rng.uniform(0.0005, 0.02)) for code in tables}
    rows = []
    for (d, code), records in zip(cells, amounts, strict=True):
        rejected = 0 if records < 20 else int(records * rates[code] * rng.uniform(0.5, 1.0))
        rows.append((d, target.org_code, code, records, rejected))
    return rows


def generate_uploads(
    targets: list[Target],
    table_codes: list[str],
    start: datetime.date,
    end: datetime.date,
    seed: int = DEFAULT_SEED,
) -> list[tuple[datetime.date, str, str, int, int]]:
    """Daily upload rows ``(day, org_code, table_code, records, rejected)`` for
    ``targets`` over ``start``..``end``, sorted by day, org_code, table_code.

    For each target: exactly ``tables_uploaded`` distinct codes of
    ``table_codes`` have records; records sum to ``records``; the latest day is
    ``last_upload_date``; every row has ``records >= 1``; one row per
    (day, org_code, table_code). Deterministic for a given ``seed``.
    """
    codes = list(dict.fromkeys(code for code in table_codes if code))
    seen: set[str] = set()
    rows: list[tuple[datetime.date, str, str, int, int]] = []
    for target in targets:
        if target.org_code in seen:
            raise ValueError(f"duplicate target {target.org_code}")
        seen.add(target.org_code)
        if not start <= target.last_upload_date <= end:
            raise ValueError(f"{target.org_code}: last upload date outside {start}..{end}")
        if not 1 <= target.tables_uploaded <= len(codes):
            raise ValueError(f"{target.org_code}: tables_uploaded not in 1..{len(codes)}")
        if target.records < target.tables_uploaded:
            raise ValueError(f"{target.org_code}: fewer records than tables")
        rows.extend(_generate_one(target, codes, start, seed))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows


def demo_uploads(seed: int = DEFAULT_SEED) -> list[tuple[datetime.date, str, str, int, int]]:
    """The demo rows for the bundled files and the 2023 Q2 period."""
    targets = targets_from_attachment(load_attachment(ATTACHMENT_CSV))
    return generate_uploads(targets, load_table_codes(TABLES_CSV), PERIOD_START, PERIOD_END, seed)


if __name__ == "__main__":  # pragma: no cover
    import sys

    out = sys.argv[1] if len(sys.argv) > 1 else "uploads.csv"
    generated = demo_uploads()
    write_uploads_csv(generated, out)
    print(f"{len(generated)} rows written to {out}")
