"""Reading the spreadsheets commission staff keep: CSV (UTF-8 with or without BOM,
or GBK) and XLSX (first sheet), with a header row in English or Chinese.

Every importer reads its file through `read_rows`, so encodings, headers and row
numbers behave the same everywhere. Row numbers are the spreadsheet's own: the
header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
# The most records one institution may report for one table on one day. Far above
# any real upload, and low enough that sums over tables, days and a province stay
# inside the 64-bit integers the database adds them in.
MAX_COUNT = 10**12
# Unicode's control characters (category Cc): C0, DEL and C1.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


class NamedBytes(bytes):
    """An uploaded file's bytes with the name it was uploaded under (for the audit
    log: which file was imported)."""

    name: str

    def __new__(cls, data: bytes, name: str):
        obj = super().__new__(cls, data)
        obj.name = name
        return obj


class FileRefused(Exception):
    """The whole file is refused; `problems` lists every reason, row by row."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312, what Excel "CSV" writes on Chinese Windows.
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            [
                _(
                    "Unrecognised file encoding: use a CSV file encoded in UTF-8 or GBK, or an XLSX file."
                )
            ]
        ) from exc


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _raw_rows(raw: bytes) -> list[list[str]]:
    if raw.startswith(XLSX_MAGIC):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise FileRefused(
                [_("The XLSX file cannot be opened: %(error)s") % {"error": exc}]
            ) from exc
        sheet = workbook.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows
    text = _decode(raw)
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise FileRefused([_("Malformed CSV file: %(error)s") % {"error": exc}]) from exc


def read_rows(
    source: str | Path | bytes,
    columns: Mapping[str, Sequence[str]],
    optional: Sequence[str] = (),
    max_lengths: Mapping[str, int] | None = None,
) -> list[Row]:
    """Read a file into rows keyed by the English column names.

    `columns` maps each English name to its other accepted headers (the Chinese
    ones). A missing required column, an unknown or repeated column refuses the
    file: nothing in a spreadsheet is dropped silently. Blank rows are skipped.
    A cell with a control character, or longer than its column's `max_lengths`
    (what the database column holds), refuses its row: such a value would either
    be stored other than it was read or make the database fail half-way.
    """
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    rows = _raw_rows(raw)
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise FileRefused([_("The file is empty: there is no header row.")])

    lookup: dict[str, str] = {}
    for name, aliases in columns.items():
        for header in (name, *aliases):
            lookup[header.strip().lower()] = name

    header = rows[0]
    positions: dict[str, int] = {}
    problems: list[str] = []
    for index, cell in enumerate(header):
        key = cell.strip().lstrip("\ufeff").lower()
        if not key:
            continue
        name = lookup.get(key)
        if name is None:
            problems.append(_("Row 1: unknown column “%(column)s”.") % {"column": cell})
        elif name in positions:
            problems.append(_("Row 1: column “%(column)s” is repeated.") % {"column": cell})
        else:
            positions[name] = index
    for name, aliases in columns.items():
        if name not in positions and name not in optional:
            label = " / ".join((name, *aliases))
            problems.append(_("Row 1: missing column “%(column)s”.") % {"column": label})
    if problems:
        raise FileRefused(problems)

    result = []
    used = set(positions.values())
    labels = {name: header[index] for name, index in positions.items()}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        extra = [c for i, c in enumerate(cells) if c.strip() and i not in used]
        if extra:
            problems.append(
                _("Row %(row)d: “%(value)s” lies outside the header’s columns.")
                % {"row": number, "value": extra[0]}
            )
            continue
        values = {
            name: (cells[index].strip() if index < len(cells) else "")
            for name, index in positions.items()
        }
        cell_problems = _cell_problems(values, labels, max_lengths or {})
        if cell_problems:
            problems.extend(
                _("Row %(row)d: ") % {"row": number} + problem for problem in cell_problems
            )
            continue
        result.append(Row(number, values))
    if problems:
        raise FileRefused(problems)
    return result


def _cell_problems(
    values: Mapping[str, str], labels: Mapping[str, str], max_lengths: Mapping[str, int]
) -> list[str]:
    problems = []
    for name, value in values.items():
        # NUL, line breaks, escapes: PostgreSQL refuses NUL outright, and none belongs
        # in a code, a name or a figure.
        if CONTROL_CHARACTER.search(value):
            problems.append(
                _("column “%(column)s” contains a control character.") % {"column": labels[name]}
            )
        elif name in max_lengths and len(value) > max_lengths[name]:
            problems.append(
                _("“%(value)s…” in column “%(column)s” is longer than %(n)d characters.")
                % {"value": value[:20], "column": labels[name], "n": max_lengths[name]}
            )
    return problems


def parse_date(text: str) -> dt.date | None:
    """A day written as 2023-06-30, 2023/6/30 or 20230630; None if it is none of them."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_count(text: str) -> int | None:
    """A whole number from 0 to MAX_COUNT; None otherwise (negative, fractional,
    not a number, too large)."""
    text = text.strip().replace(",", "")
    # isdigit() alone takes "²" and other digits int() refuses.
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_COUNT else None
