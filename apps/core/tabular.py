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
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
# A part of an XLSX smaller than this unpacks quickly however tightly it is packed:
# only larger parts are held to HIPWATCH_IMPORT_MAX_ZIP_RATIO.
ZIP_RATIO_FROM_BYTES = 1024 * 1024
# The days a row may be dated. The statistics start this century; a year outside
# it is a typo or a placeholder (0001-01-01, 1900-01-01, 9999-12-31), and date
# arithmetic at the calendar's ends (the month after December 9999) fails.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
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


def _unreadable(exc: Exception) -> FileRefused:
    return FileRefused([_("The XLSX file cannot be opened: %(error)s") % {"error": exc}])


def _zip_check(raw: bytes) -> None:
    """Refuse an XLSX that would unpack to more than an import may read, or one of
    whose parts packs far tighter than a spreadsheet does (a zip bomb), from the
    zip's central directory alone: nothing is unpacked. Python's zipfile unpacks no
    part beyond the size the directory declares (a part that lies about it fails its
    CRC check and the file is refused), so the declared sizes bound the work."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise _unreadable(exc) from exc
    total, limit = sum(p.file_size for p in parts), settings.HIPWATCH_IMPORT_MAX_UNZIPPED_BYTES
    if total > limit:
        raise FileRefused(
            [
                _(
                    "The XLSX file unpacks to %(size)s, more than the %(limit)s an import "
                    "may read: split it into smaller files."
                )
                % {"size": filesizeformat(total), "limit": filesizeformat(limit)}
            ]
        )
    most = settings.HIPWATCH_IMPORT_MAX_ZIP_RATIO
    for part in parts:
        if part.file_size > ZIP_RATIO_FROM_BYTES and part.file_size > most * max(
            part.compress_size, 1
        ):
            raise FileRefused(
                [
                    _(
                        "The XLSX file is not an ordinary spreadsheet: its part “%(name)s” "
                        "unpacks to %(ratio)d times its packed size (at most %(limit)d)."
                    )
                    % {
                        "name": part.filename,
                        "ratio": part.file_size // max(part.compress_size, 1),
                        "limit": most,
                    }
                ]
            )


def _xlsx_rows(raw: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    _zip_check(raw)
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            # Read-only: the sheet is unpacked and parsed while its rows are read, so a
            # damaged part shows only here.
            return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    except SoftTimeLimitExceeded:  # the worker's time is up: not a damaged file
        raise
    except Exception as exc:  # openpyxl, zipfile and the XML parser raise many kinds
        raise _unreadable(exc) from exc


def _raw_rows(raw: bytes) -> list[list[str]]:
    if raw.startswith(XLSX_MAGIC):
        return _xlsx_rows(raw)
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
    refused: list[tuple[int, str]] | None = None,
) -> list[Row]:
    """Read a file into rows keyed by the English column names.

    `columns` maps each English name to its other accepted headers (the Chinese
    ones). A missing required column, an unknown or repeated column refuses the
    file: nothing in a spreadsheet is dropped silently. Blank rows are skipped.
    A cell with a control character, or longer than its column's `max_lengths`
    (what the database column holds), refuses its row: such a value would either
    be stored other than it was read or make the database fail half-way. With
    `refused`, such rows are listed there, (row number, problem), and the others
    read: a pull stores the rows it can; an import refuses the file.
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
    row_problems: list[tuple[int, str]] = []
    used = set(positions.values())
    labels = {name: header[index] for name, index in positions.items()}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        extra = [c for i, c in enumerate(cells) if c.strip() and i not in used]
        if extra:
            row_problems.append(
                (number, _("“%(value)s” lies outside the header’s columns.") % {"value": extra[0]})
            )
            continue
        values = {
            name: (cells[index].strip() if index < len(cells) else "")
            for name, index in positions.items()
        }
        cell_problems = _cell_problems(values, labels, max_lengths or {})
        if cell_problems:
            row_problems.extend((number, problem) for problem in cell_problems)
            continue
        result.append(Row(number, values))
    if refused is not None:
        refused.extend(row_problems)
    elif row_problems:
        raise FileRefused(
            [_("Row %(row)d: ") % {"row": number} + problem for number, problem in row_problems]
        )
    return result


def file_rows(source: bytes, numbers) -> tuple[list[str], dict[int, list[str]]]:
    """The header row and the cells of the rows numbered `numbers` (as `read_rows`
    numbers them): what a preview shows of a row, every column of it."""
    rows = _raw_rows(source)
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        return [], {}
    wanted = set(numbers)
    width = len(rows[0])
    picked = {
        number: (cells + [""] * width)[:width]
        for number, cells in enumerate(rows[1:], start=2)
        if number in wanted
    }
    return [h.lstrip("\ufeff") for h in rows[0]], picked


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


def _read_date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_date(text: str) -> dt.date | None:
    """A day written as 2023-06-30, 2023/6/30 or 20230630, from FIRST_DAY to LAST_DAY;
    None if it is none of them, or a day outside those years."""
    day = _read_date(text)
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def date_problem(text: str) -> str:
    """Why `parse_date` refused `text`, for the refusal of its row."""
    if _read_date(text) is None:
        return _("Unrecognised date “%(value)s”.") % {"value": text}
    return _("Date “%(value)s” is outside the years %(first)d–%(last)d.") % {
        "value": text,
        "first": FIRST_DAY.year,
        "last": LAST_DAY.year,
    }


def parse_count(text: str) -> int | None:
    """A whole number from 0 to MAX_COUNT; None otherwise (negative, fractional,
    not a number, too large)."""
    text = text.strip().replace(",", "")
    # isdigit() alone takes "²" and other digits int() refuses.
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_COUNT else None
