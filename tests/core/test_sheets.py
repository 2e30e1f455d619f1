"""Workbooks from Sheets: text is a text cell exactly as typed, whatever it starts
with; numbers and dates stay numbers and dates."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from apps.core.sheets import Link, Sheet, sheets_xlsx

TYPED = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "=1+1", "#N/A"]


def _book():
    rows = [
        [Link(TYPED[0], "/institutions/1/"), -5, Decimal("-1.5"), dt.date(2023, 6, 30)],
        *[[text, 0, Decimal("0"), None] for text in TYPED[1:]],
    ]
    sheet = Sheet("t", "=title", ["=名称", "差", "率", "日期"], rows)
    return sheets_xlsx([sheet], heading="-heading")


def test_formula_looking_text_is_written_as_typed_in_text_cells():
    ws = load_workbook(io.BytesIO(_book())).active
    assert (ws["A1"].value, ws["A1"].data_type) == ("-heading", "s")
    assert (ws["A2"].value, ws["A2"].data_type) == ("=名称", "s")
    column = [ws.cell(row=r, column=1) for r in range(3, 3 + len(TYPED))]
    assert [c.value for c in column] == TYPED
    assert {c.data_type for c in column} == {"s"}


def test_no_formula_reaches_the_file():
    with zipfile.ZipFile(io.BytesIO(_book())) as xlsx:
        xml = xlsx.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml
    assert b'<t>=HYPERLINK("http://x","y")</t>' in xml


def test_negative_numbers_and_dates_stay_numbers_and_dates():
    ws = load_workbook(io.BytesIO(_book())).active
    assert (ws["B3"].value, ws["B3"].data_type) == (-5, "n")
    assert (ws["C3"].value, ws["C3"].data_type) == (-1.5, "n")
    assert ws["D3"].value == dt.datetime(2023, 6, 30) and ws["D3"].is_date
