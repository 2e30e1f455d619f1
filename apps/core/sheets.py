"""Tables that a page shows and exports to Excel from one definition.

A view builds a `Sheet` (headers and rows of plain values, some of them `Link`s
or `Mark`s); the template renders it with `web/_sheet.html` and the same view
answers `?export=<sheet key>` with the workbook, so the spreadsheet holds exactly
the figures on the page. Every table of the portal is a `Sheet` or a
django-tables2 table (`sheet_from_table`): none is read back from rendered HTML.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Link:
    """A cell that links to a page; the spreadsheet keeps its text. `css` styles
    the link on the page (a badge, say)."""

    text: object
    url: str
    css: str = ""

    def __str__(self) -> str:
        return str(self.text)


@dataclass(frozen=True)
class Mark:
    """A cell shown styled on the page (`css`: a badge, code, small print); the
    spreadsheet keeps its text. `title` is the whole text where the page shortens it."""

    text: object
    css: str = ""
    title: str = ""

    def __str__(self) -> str:
        return str(self.text)


@dataclass(frozen=True)
class Bar:
    """A bar drawn on the page in proportion to `share` (0 to 1), in a column the
    workbook leaves out (see `Sheet.page_only`): the figure stands in its own column."""

    share: float

    @property
    def percent(self) -> int:
        return round(max(0.0, min(1.0, self.share)) * 100)


@dataclass(frozen=True)
class SheetCell:
    value: object
    url: str | None
    numeric: bool
    css: str = ""
    title: str = ""


@dataclass
class Sheet:
    key: str
    title: str
    headers: Sequence[str]
    rows: list[Sequence[object]] = field(default_factory=list)
    numeric: frozenset[int] = frozenset()  # column indexes aligned right on the page
    empty_text: str = ""  # what the page says when there is no row
    page_only: frozenset[int] = frozenset()  # columns drawn on the page, not exported
    row_classes: list[str] = field(default_factory=list)  # a CSS class per row, or ""
    # At most this many rows on the page (a dashboard's panel), all in the export.
    shown: int | None = None
    note: str = ""  # a line under the table on the page (how to read it)

    @property
    def hidden(self) -> int:
        """Rows left off the page (and in the export)."""
        return max(0, len(self.rows) - self.shown) if self.shown is not None else 0

    def cells(self):
        """Rows for the template: (row class, a `SheetCell` per cell)."""
        for number, row in enumerate(self.rows[: self.shown]):
            css = self.row_classes[number] if number < len(self.row_classes) else ""
            yield (
                css,
                [_sheet_cell(value, index in self.numeric) for index, value in enumerate(row)],
            )

    def exported(self) -> tuple[list[str], list[list]]:
        """Headers and rows as the workbook holds them (without the page-only columns)."""
        keep = [i for i in range(len(self.headers)) if i not in self.page_only]
        return [self.headers[i] for i in keep], [[row[i] for i in keep] for row in self.rows]


def _sheet_cell(value: object, numeric: bool) -> SheetCell:
    if isinstance(value, Link):
        return SheetCell(value.text, value.url, numeric, value.css)
    if isinstance(value, Mark):
        return SheetCell(value.text, None, numeric, value.css, value.title)
    if isinstance(value, Bar):
        return SheetCell(value, None, numeric, "bar")
    return SheetCell(value, None, numeric)


def append_row(ws: Worksheet, values: Sequence[object]) -> list[Cell]:
    """Append `values` as the worksheet's next row; its cells. Text is written as a text
    cell, exactly as typed, whatever it starts with: openpyxl would store a name such as
    "=HYPERLINK(...)" as a formula (and "#N/A" as an error) that Excel and WPS evaluate
    on opening (OWASP "CSV injection"). Numbers and dates stay numbers and dates."""
    ws.append(values)
    row = ws.max_row
    cells = [ws.cell(row=row, column=column) for column in range(1, len(values) + 1)]
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"
    return cells


def _cell(value: object) -> object:
    if isinstance(value, Link | Mark):
        value = value.text
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float | dt.date):
        return value
    return str(value)


def sheets_xlsx(sheets: Sequence[Sheet], heading: str = "") -> bytes:
    """One worksheet per sheet: an optional heading row, the headers in bold, the rows."""
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        sheet_write(book, sheet, heading)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_write(book: Workbook, sheet: Sheet, heading: str = "", name: str = "") -> None:
    """Add `sheet` to `book` as a worksheet named `name` (else the sheet's title)."""
    ws = book.create_sheet(title=_sheet_name(name or sheet.title))
    if heading:
        append_row(ws, [heading])
        ws["A1"].font = Font(bold=True, size=13)
    headers, rows = sheet.exported()
    for cell in append_row(ws, [str(h) for h in headers]):
        cell.font = Font(bold=True)
    header_row = ws.max_row
    for row in rows:
        for cell in append_row(ws, [_cell(v) for v in row]):
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for index, header in enumerate(headers, start=1):
        longest = max(
            [len(str(header))] + [len(str(_cell(r[index - 1]) or "")) for r in rows[:200]]
        )
        ws.column_dimensions[get_column_letter(index)].width = min(max(8, longest * 1.8), 48)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _sheet_name(title: str) -> str:
    # Excel forbids []:*?/\ in sheet names and allows 31 characters.
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(title))
    return cleaned[:31] or "Sheet"


def xlsx_response(sheets: Sequence[Sheet], filename: str, heading: str = "") -> HttpResponse:
    response = HttpResponse(sheets_xlsx(sheets, heading), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def sheet_export(
    request: HttpRequest, sheets: Sequence[Sheet], filename: str, heading: str = ""
) -> HttpResponse | None:
    """The workbook a page's `?export=KEY` asks for (`all`: every table of the
    page in one workbook), or None when the request asks for none; a key the page
    does not have answers 404. `filename` is completed with the key."""
    key = request.GET.get("export")
    if not key:
        return None
    chosen = [s for s in sheets if key in (s.key, "all")]
    if not chosen:
        raise Http404(_("No such table."))
    return xlsx_response(chosen, f"{filename}-{key}.xlsx", heading)


def sheet_from_table(table, key: str, title: str) -> Sheet:
    """A django-tables2 table as a Sheet: every row (not only the page shown), in the
    table's order, each cell by its column's `value` (its `value_<column>` method
    where the page formats the figure)."""
    values = iter(table.as_values())
    headers = [str(h) for h in next(values)]
    return Sheet(key, title, headers, [list(row) for row in values])
