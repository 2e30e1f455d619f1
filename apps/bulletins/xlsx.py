"""The attachment (附件) of a bulletin as an XLSX workbook, from the same content
dict as the PDF."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from apps.core.sheets import append_row, sheet_write
from apps.reports.columns import snapshot_sheet

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _number(value):
    if value is None or value == "":
        return None
    return float(Decimal(value)) if isinstance(value, str) else value


def bulletin_xlsx(content: dict) -> bytes:
    """附件 (附件1) as the document lays it out; an attached report (附件2) on a
    second worksheet, in its layout's columns."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Attachment")
    period = content["period"]["label"]
    required = content["required_tables"]
    headers = [
        _("No."),
        _("Region"),
        _("Institution"),
        _("Tables uploaded (of %(n)s)") % {"n": required} if required else _("Tables uploaded"),
        _("Completeness (%)"),
        _("Records uploaded"),
        _("Interruption days"),
        _("Last upload"),
        _("Remark"),
        _("Institution code"),
        _("Connection status"),
        _("Tier"),
        _("Score"),
    ]
    title = _(
        "Interconnection of the institutions of %(region)s with the health information platform"
    ) % {"region": content["region"]["name"]}
    # Names and remarks are written as text cells, never formulas (append_row).
    append_row(sheet, [f"{content['document']['number']}  {title}（{period}）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = CENTER
    for cell in append_row(sheet, headers):
        cell.font = Font(bold=True)
        cell.alignment = CENTER
        cell.border = BOX
    # The tier as the text names it (第二梯队, 未联通 …), not its number.
    titles = {section["key"]: section["title"] for section in content["sections"]}
    for r in content["attachment"]:
        has_figures = not r["remark"]
        tier = titles.get(r["section"], "")
        if r.get("severely_missing"):
            tier = f"{tier}（{_('Severely missing')}）"
        cells = append_row(
            sheet,
            [
                r["seq"],
                r["region"],
                r["name"],
                r["tables_uploaded"] if has_figures else None,
                _number(r["completeness"]) if has_figures else None,
                r["records"] if has_figures else None,
                r["interruption_days"] if has_figures else None,
                r["last_upload_date"],
                r["remark"],
                r["org_code"],
                r["connection_status_label"],
                tier,
                _number(r["score"]),
            ],
        )
        for cell in cells:
            cell.border = BOX
        sheet.cell(sheet.max_row, 5).number_format = "0.0"
        sheet.cell(sheet.max_row, 13).number_format = "0.00"
    widths = [6, 10, 28, 14, 12, 14, 12, 13, 22, 14, 14, 18, 8]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    report = content.get("report")
    if report:
        # 附件1 and 附件2, as the document numbers them.
        sheet.title = _("Attachment") + "1"
        heading = f"{content['document']['number']}  {report['heading']}"
        sheet_write(book, snapshot_sheet(report), heading, name=_("Attachment") + "2")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
