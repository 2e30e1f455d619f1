"""The columns a report (统计报表) may show: every figure of metrics.md and, for each
indicator of the catalogue, its value, reference and upload rate. A report is the
institutions of a scope and period, in the columns a layout names, ordered by one
of them, with a total row. The figures come from apps.metrics (one implementation);
this module only picks and arranges them, for the page, the Excel and the PDF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.sheets import Mark, Sheet
from apps.indicators.models import Indicator
from apps.institutions.models import name_header
from apps.metrics.figures import InstitutionFigures, PeriodFigures, period_figures
from apps.metrics.indicators import IndicatorValue, indicator_values, total_rate
from apps.metrics.quality import QualityFigures, quality_total, quality_values
from apps.quality.models import Dimension

# key: (label, numeric, how the total row adds it up: "sum" or None)
FIGURE_COLUMNS: dict[str, tuple] = {
    "region": (gettext_lazy("Region"), False, None),
    "org_code": (gettext_lazy("Institution code"), False, None),
    "category": (gettext_lazy("Category"), False, None),
    "grade": (gettext_lazy("Grade"), False, None),
    "connection_status": (gettext_lazy("Connection status"), False, None),
    "declared_required": (gettext_lazy("Declared / required tables"), False, None),
    "declared_tables": (gettext_lazy("Declared tables"), True, None),
    "required_tables": (gettext_lazy("Required tables"), True, None),
    "tables_uploaded": (gettext_lazy("Tables uploaded"), True, None),
    "completeness": (gettext_lazy("Completeness (%)"), True, None),
    "missing_tables": (gettext_lazy("Tables missing"), True, None),
    "records": (gettext_lazy("Upload volume"), True, "sum"),
    "rejected": (gettext_lazy("Records rejected"), True, "sum"),
    "upload_days": (gettext_lazy("Upload days"), True, None),
    "interruption_days": (gettext_lazy("Interruption days"), True, None),
    "longest_gap": (gettext_lazy("Longest interruption (days)"), True, None),
    "last_upload_date": (gettext_lazy("Last upload date"), False, None),
    "tier": (gettext_lazy("Tier"), False, None),
    "score": (gettext_lazy("Score"), True, None),
}
# 数据质量 (metrics.md): each dimension's pass rate and the score, under one group.
QUALITY_PREFIX = "quality_"
QUALITY_COLUMNS = {
    **{d: label for d, label in Dimension.choices},
    "score": gettext_lazy("Quality score"),
}
INDICATOR_PARTS = {
    "value": gettext_lazy("Value"),
    "reference": gettext_lazy("Reference"),
    "rate": gettext_lazy("Upload rate (%)"),
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # under its group on a two-row header
    group: str = ""  # the indicator's name, for its value, reference and rate
    numeric: bool = True
    total: str | None = None

    @property
    def heading(self) -> str:
        """The one-line heading (the Excel's)."""
        return f"{self.group}·{self.label}" if self.group else self.label

    @property
    def indicator(self) -> str | None:
        return self.key.split(".", 1)[0] if "." in self.key else None

    @property
    def part(self) -> str | None:
        return self.key.split(".", 1)[1] if "." in self.key else None


def available_columns(indicators: Sequence[Indicator] | None = None) -> list[Column]:
    """Every column a layout may pick: figures first, the data quality, then each
    indicator's three."""
    columns = [
        Column(key, str(label), numeric=numeric, total=total)
        for key, (label, numeric, total) in FIGURE_COLUMNS.items()
    ]
    columns += [
        Column(QUALITY_PREFIX + key, str(label), group=_("Data quality"), total="quality")
        for key, label in QUALITY_COLUMNS.items()
    ]
    for indicator in indicators if indicators is not None else Indicator.objects.all():
        for part, label in INDICATOR_PARTS.items():
            columns.append(
                Column(
                    f"{indicator.code}.{part}",
                    str(label),
                    group=indicator.name,
                    total="rate" if part == "rate" else "sum",
                )
            )
    return columns


def columns_of(keys: Sequence[str], available: Sequence[Column]) -> tuple[list[Column], list[str]]:
    """The columns named by `keys`, in that order, and the keys no column has."""
    by_key = {c.key: c for c in available}
    found = [by_key[k] for k in keys if k in by_key]
    return found, [k for k in keys if k not in by_key]


def _figure(row: InstitutionFigures, key: str):
    inst = row.institution
    if key == "region":
        return inst.region_label
    if key == "org_code":
        return inst.org_code
    if key == "category":
        return inst.get_category_display()
    if key == "grade":
        return inst.get_grade_display()
    if key == "connection_status":
        return row.connection_status_label
    if key == "tier":
        return row.tier_label
    if key == "declared_required":
        return row.declared_label
    return getattr(row, key)


@dataclass
class ReportRow:
    figures: InstitutionFigures
    cells: dict[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.figures.name


@dataclass
class Report:
    """The rows of a report and its total row, as plain values per column key."""

    columns: list[Column]
    rows: list[ReportRow]
    total: dict[str, object]
    start: dt.date
    end: dt.date

    @property
    def name_header(self) -> str:
        """单位名称 where a row is a city platform (a province's units), else 医院名称."""
        return name_header(r.figures.institution for r in self.rows)

    def sheet(self, key: str = "report", title: str = "") -> Sheet:
        """The table as one `Sheet` (the page, the Excel and the PDF read it)."""
        headers = [_("No."), self.name_header, *[c.heading for c in self.columns]]
        numeric = {0} | {i + 2 for i, c in enumerate(self.columns) if c.numeric}
        sheet = Sheet(
            key,
            title or _("Report"),
            headers,
            numeric=frozenset(numeric),
            empty_text=_("No institution in this scope."),
        )
        for n, row in enumerate(self.rows, start=1):
            sheet.rows.append([n, row.name, *[row.cells[c.key] for c in self.columns]])
        if self.rows:
            sheet.rows.append([None, _("Total"), *[self.total.get(c.key) for c in self.columns]])
            sheet.row_classes = [""] * len(self.rows) + ["report-total"]
        return sheet

    @property
    def header_rows(self) -> tuple[list[tuple[str, int, int, bool]], list[tuple[str, bool]]]:
        """The two header rows after No. and Institution: on top an indicator's name
        over its value, reference and rate (text, colspan, rowspan, numeric), below
        those parts (text, numeric). A figure, or an indicator shown by its value
        alone, takes both rows with its own name."""
        runs: list[list[Column]] = []
        for column in self.columns:
            if runs and column.group and runs[-1][0].group == column.group:
                runs[-1].append(column)
            else:
                runs.append([column])
        top: list[tuple[str, int, int, bool]] = []
        bottom: list[tuple[str, bool]] = []
        for run in runs:
            first = run[0]
            if not first.group:
                top.append((first.label, 1, 2, first.numeric))
            elif len(run) == 1 and first.part == "value":
                top.append((first.group, 1, 2, True))
            else:
                top.append((first.group, len(run), 1, True))
                bottom += [(c.label, True) for c in run]
        return top, bottom


def _quality_cell(key: str, figures: QualityFigures | None):
    if figures is None:
        return None
    part = key.removeprefix(QUALITY_PREFIX)
    return figures.score if part == "score" else figures.rate(part)


def _cell(
    column: Column,
    row: InstitutionFigures,
    values: dict[str, IndicatorValue],
    quality: QualityFigures | None = None,
):
    if column.total == "quality":
        return _quality_cell(column.key, quality)
    if column.indicator is None:
        return _figure(row, column.key)
    value = values.get(column.indicator)
    if value is None:
        return None
    if column.part == "value":
        return value.value
    if column.part == "reference":
        return value.reference
    if value.over_reference:
        return Mark(value.rate, "text-danger fw-semibold", title=_("Above the reference"))
    return value.rate


def _sort_key(value):
    if isinstance(value, Mark):
        value = value.text
    if value is None:
        return (1, 0)
    if isinstance(value, int | float | Decimal):
        return (0, value)
    if isinstance(value, dt.date):
        return (0, value.toordinal())
    return (0, str(value))


def build_report(
    *,
    institutions,
    platform,
    start: dt.date,
    end: dt.date,
    columns: Sequence[Column],
    order: str | None = None,
    descending: bool = True,
    figures: PeriodFigures | None = None,
) -> Report:
    """The report of `institutions` (a scoped queryset) on `platform` for
    start..end: one row per active institution, ordered by the column `order`
    (None: the registry's order), with the total row. A flow's or stock's total is
    the sum over the rows; the total's rate is the summed value over the summed
    reference of the rows that have one (the same rounding as a row's). `figures`:
    the period's figures when the caller has them already (a bulletin's, under its
    own definitions)."""
    if figures is None:
        figures = period_figures(institutions=institutions, platform=platform, start=start, end=end)
    codes = {c.indicator for c in columns if c.indicator}
    indicators = list(Indicator.objects.filter(code__in=codes))
    values = (
        indicator_values(
            institutions=institutions,
            platform=platform,
            start=start,
            end=end,
            indicators=indicators,
        )
        if indicators
        else {}
    )
    quality = (
        quality_values(
            institutions=institutions,
            platform=platform,
            start=start,
            end=end,
            definitions=figures.definitions,
        )
        if any(c.total == "quality" for c in columns)
        else {}
    )
    rows = []
    for figure_row in figures.rows:
        pk = figure_row.institution.pk
        own = values.get(pk, {})
        rows.append(
            ReportRow(
                figure_row,
                {c.key: _cell(c, figure_row, own, quality.get(pk)) for c in columns},
            )
        )
    if order and any(c.key == order for c in columns):
        present = [r for r in rows if _sort_key(r.cells[order])[0] == 0]
        absent = [r for r in rows if _sort_key(r.cells[order])[0] == 1]
        present.sort(key=lambda r: _sort_key(r.cells[order])[1], reverse=descending)
        rows = present + absent
    total: dict[str, object] = {}
    # The group's quality: the rows' counts summed, then rated as one.
    group = quality_total(
        [quality[r.figures.institution.pk] for r in rows if r.figures.institution.pk in quality],
        figures.definitions,
    )
    for column in columns:
        if column.total == "quality":
            total[column.key] = _quality_cell(column.key, group)
        elif column.total == "sum":
            numbers = [r.cells[column.key] for r in rows if isinstance(r.cells[column.key], int)]
            total[column.key] = sum(numbers) if numbers else None
        elif column.total == "rate":
            total[column.key] = total_rate(
                [
                    values[r.figures.institution.pk][column.indicator]
                    for r in rows
                    if column.indicator in values.get(r.figures.institution.pk, {})
                ]
            )
    return Report(list(columns), rows, total, start, end)


# ---------------------------------------------------------------------------
# A report frozen into a document (a bulletin's second attachment)
# ---------------------------------------------------------------------------


def report_heading(scope: str, title: str, period_label: str) -> str:
    """The line above a report: its scope, its layout's title and the period."""
    return _("%(scope)s %(title)s (%(period)s)") % {
        "scope": scope,
        "title": title or _("Data upload"),
        "period": period_label,
    }


def _frozen(value):
    """A cell as JSON: numbers stay numbers, a decimal its exact text, a date ISO."""
    if isinstance(value, Mark):
        value = value.text
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def report_snapshot(report: Report, *, heading: str, layout: str) -> dict:
    """The report as plain JSON, everything a rendition needs (headers in their
    two rows, the cells, which rates are above their reference), so a published
    document keeps it whatever becomes of the layout or the data."""
    sheet = report.sheet("report", heading)
    top, bottom = report.header_rows
    over = [
        [r, c]
        for r, row in enumerate(sheet.rows)
        for c, value in enumerate(row)
        if isinstance(value, Mark)
    ]
    return {
        "layout": layout,
        "heading": heading,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "headers": [str(h) for h in sheet.headers],
        "header_rows": [
            [[str(text), colspan, rowspan, numeric] for text, colspan, rowspan, numeric in top],
            [[str(text), numeric] for text, numeric in bottom],
        ],
        "numeric": sorted(sheet.numeric),
        "rows": [[_frozen(v) for v in row] for row in sheet.rows],
        "row_classes": list(sheet.row_classes),
        "over": over,
    }


def snapshot_sheet(snapshot: dict) -> Sheet:
    """The frozen report as a `Sheet` again, for the page, the PDF and the Excel:
    the decimals of its numeric columns are numbers again, a rate above its
    reference marked as on the report page."""
    numeric = frozenset(snapshot["numeric"])
    over = {(r, c) for r, c in snapshot["over"]}
    rows = []
    for r, row in enumerate(snapshot["rows"]):
        cells = []
        for c, value in enumerate(row):
            if c in numeric and isinstance(value, str):
                value = Decimal(value)
            if (r, c) in over:
                value = Mark(value, "text-danger fw-semibold", title=_("Above the reference"))
            cells.append(value)
        rows.append(cells)
    return Sheet(
        "report",
        snapshot["heading"],
        snapshot["headers"],
        rows,
        numeric=numeric,
        empty_text=_("No institution in this scope."),
        row_classes=list(snapshot["row_classes"]),
    )
