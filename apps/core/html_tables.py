"""Excel exports of the tables a page renders itself (logs, histories, lists).

`@exports_tables` answers `?export_table=ID` with the `<table id="ID">` of the
page's own response as a workbook: the spreadsheet is the table the user sees, cell
for cell. Figures written as the portal writes them (12,345 · 85.0 · 2023-06-30)
become numbers and dates again. Pages whose tables come from a `Sheet` export that
instead (apps/core/sheets.py).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import wraps
from html.parser import HTMLParser

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .sheets import Sheet, xlsx_response

_INT = re.compile(r"^-?\d{1,3}(,\d{3})+$|^-?\d+$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEY = re.compile(r"^[\w-]{1,64}$")


def _value(text: str) -> object:
    if text in ("", "—"):
        return None
    if _INT.match(text):
        return int(text.replace(",", ""))
    if _DECIMAL.match(text):
        return float(text)
    if _DATE.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    return text


class _TableReader(HTMLParser):
    """Collects the header and body rows of one <table id=...>; nested tables and
    form controls are read as text like the rest of a cell."""

    def __init__(self, table_id: str):
        super().__init__(convert_charrefs=True)
        self.table_id = table_id
        self.depth = 0  # >0 while inside the wanted table (counts nested tables)
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self.found = False
        self.title = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_head = False
        self._skip = 0  # inside <script>, <style>, <button>, <select>

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            if tag == "table" and dict(attrs).get("id") == self.table_id:
                self.depth, self.found = 1, True
                self.title = dict(attrs).get("data-title") or ""
            return
        if tag == "table":
            self.depth += 1
        elif tag in ("script", "style", "button", "select", "form"):
            self._skip += 1
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self.depth == 1:
            self._row = []
        elif tag in ("td", "th") and self.depth == 1 and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if self.depth == 0:
            return
        if tag == "table":
            self.depth -= 1
        elif tag in ("script", "style", "button", "select", "form"):
            self._skip = max(0, self._skip - 1)
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self.depth == 1 and self._row is not None:
            if self._in_head or (not self.headers and not self.rows):
                self.headers = self._row
            elif any(self._row):
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self.depth and self._cell is not None and not self._skip:
            self._cell.append(data)


def sheet_from_html(html: str, table_id: str, title: str = "") -> Sheet | None:
    reader = _TableReader(table_id)
    reader.feed(html)
    if not reader.found:
        return None
    rows = [[_value(cell) for cell in row] for row in reader.rows]
    width = len(reader.headers)
    # A lone cell spanning the table says "nothing yet": it is no data. Shorter rows
    # (a cell spanning the rest) are padded.
    rows = [r + [None] * (width - len(r)) for r in rows if len(r) > 1 or width <= 1]
    return Sheet(table_id, title or reader.title or table_id, reader.headers, rows)


def exports_tables(view):
    """Decorate a page view: `?export_table=ID` answers with that table as XLSX,
    rendered by the view itself with the same scope and filters; 404 for a table
    the page does not have."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        table_id = request.GET.get("export_table")
        if not table_id:
            return view(request, *args, **kwargs)
        if not _KEY.match(table_id):
            raise Http404(_("No such table."))
        query = request.GET.copy()
        query.pop("export_table")
        request.GET = query
        response = view(request, *args, **kwargs)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith(
            "text/html"
        ):
            return response
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        sheet = sheet_from_html(response.content.decode(response.charset or "utf-8"), table_id)
        if sheet is None:
            raise Http404(_("No such table."))
        return xlsx_response([sheet], f"{table_id}.xlsx")

    return wrapper
