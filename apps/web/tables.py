"""The institution list as a django-tables2 table over the metrics result rows.

`FigureRow` only adds sort keys so that empty figures (None) sort after the
others; every value shown is read from `InstitutionFigures`.
"""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.sheets import Link, Sheet
from apps.metrics.figures import InstitutionFigures
from apps.platforms.models import change_source_label


def _nulls_last(value):
    return (value is None, value if value is not None else 0)


class FigureRow:
    """One `InstitutionFigures` with sort keys for the columns that may be empty."""

    def __init__(self, figures: InstitutionFigures):
        self.figures = figures

    def __getattr__(self, name):
        return getattr(self.figures, name)

    @property
    def completeness_key(self):
        return _nulls_last(self.figures.completeness)

    @property
    def declared_key(self):
        return _nulls_last(self.figures.declared_tables)

    @property
    def interruption_days_key(self):
        return _nulls_last(self.figures.interruption_days)

    @property
    def longest_gap_key(self):
        return _nulls_last(self.figures.longest_gap)

    @property
    def last_upload_date_key(self):
        return _nulls_last(
            self.figures.last_upload_date and self.figures.last_upload_date.toordinal()
        )

    @property
    def tier_key(self):
        # Bulletin order: tiers 1-4 (severely missing after the rest of tier 3), then the others.
        return (
            self.figures.tier is None,
            self.figures.tier or 0,
            self.figures.severely_missing,
            self.figures.tier_label,
        )

    @property
    def continuity_key(self):
        return (self.figures.continuity is None, self.figures.continuity or "")


EMPTY = "—"


class InstitutionTable(tables.Table):
    org_code = tables.Column(verbose_name=_("Institution code"))
    name = tables.Column(verbose_name=_("Institution name"), order_by=("name", "org_code"))
    region = tables.Column(
        verbose_name=_("Region"),
        accessor="institution__region_label",
        order_by=("institution__region__sort_key", "org_code"),
    )
    category = tables.Column(verbose_name=_("Category"), accessor="institution__category")
    connection_status = tables.Column(
        verbose_name=_("Connection status"), accessor="connection_status_label"
    )
    required_tables = tables.Column(
        verbose_name=_("Required tables"), attrs={"td": {"class": "text-end"}}
    )
    declared = tables.Column(
        verbose_name=_("Declared / required tables"),
        accessor="declared_label",
        order_by="declared_key",
        attrs={"td": {"class": "text-end text-nowrap"}},
    )
    tables_uploaded = tables.Column(
        verbose_name=_("Tables uploaded"), attrs={"td": {"class": "text-end"}}
    )
    completeness = tables.Column(
        verbose_name=_("Completeness (%)"),
        order_by="completeness_key",
        attrs={"td": {"class": "text-end"}},
    )
    missing_tables = tables.Column(
        verbose_name=_("Tables missing"), attrs={"td": {"class": "text-end"}}
    )
    records = tables.Column(verbose_name=_("Upload volume"), attrs={"td": {"class": "text-end"}})
    rejected = tables.Column(
        verbose_name=_("Records rejected"), attrs={"td": {"class": "text-end"}}
    )
    upload_days = tables.Column(verbose_name=_("Upload days"), attrs={"td": {"class": "text-end"}})
    interruption_days = tables.Column(
        verbose_name=_("Interruption days"),
        order_by="interruption_days_key",
        attrs={"td": {"class": "text-end"}},
    )
    longest_gap = tables.Column(
        verbose_name=_("Longest interruption (days)"),
        order_by="longest_gap_key",
        attrs={"td": {"class": "text-end"}},
    )
    last_upload_date = tables.DateColumn(
        verbose_name=_("Last upload date"), format="Y-m-d", order_by="last_upload_date_key"
    )
    tier = tables.Column(verbose_name=_("Tier"), accessor="tier_label", order_by="tier_key")
    continuity = tables.Column(
        verbose_name=_("Continuity"), accessor="continuity_label", order_by="continuity_key"
    )

    class Meta:
        attrs = {"class": "table table-sm table-striped table-hover align-middle figures-table"}
        order_by = ("region",)
        per_page = 50
        empty_text = _("No institution matches the filters.")
        default = EMPTY

    def __init__(self, *args, query_string: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.query_string = query_string

    def render_name(self, value, record):
        url = reverse("institution-detail", args=[record.org_code])
        if self.query_string:
            url = f"{url}?{self.query_string}"
        return format_html('<a href="{}">{}</a>', url, value)

    def render_records(self, value):
        return f"{value:,}"

    def render_rejected(self, value):
        return f"{value:,}"

    # Spreadsheet values: the figures themselves, not their page formatting.
    def value_name(self, value):
        return value

    def value_records(self, value):
        return value

    def value_rejected(self, value):
        return value

    def value_completeness(self, value):
        return value

    def value_last_upload_date(self, value):
        return value

    def value_tier(self, value, record):
        return f"{value}（{_('Severely missing')}）" if record.severely_missing else value

    def render_tier(self, value, record):
        if record.severely_missing:
            return format_html(
                '{} <span class="badge text-bg-danger">{}</span>', value, _("Severely missing")
            )
        return value


def status_history_sheet(changes) -> Sheet:
    """An institution's connection status changes on one platform, newest first."""
    sheet = Sheet(
        "status-history",
        _("Connection status history"),
        [
            _("Effective date"),
            _("Previous status"),
            _("New status"),
            _("Entered at"),
            _("Entered by / source"),
        ],
        empty_text=_("No changes recorded."),
    )
    for change in changes:
        who = change.entered_by.label if change.entered_by else ""
        sheet.rows.append(
            [
                change.effective_date,
                change.get_from_status_display(),
                change.get_to_status_display(),
                timezone.localtime(change.entered_at).strftime("%Y-%m-%d %H:%M"),
                " / ".join(part for part in (who, change_source_label(change.source)) if part)
                or None,
            ]
        )
    return sheet


def search_sheet(institutions, query: str) -> Sheet:
    """Institutions found by the header's search box."""
    sheet = Sheet(
        "search",
        _("Institutions found"),
        [_("Institution name"), _("Institution code"), _("Region"), _("Category")],
        empty_text=_("No institution in your scope matches."),
    )
    for inst in institutions:
        url = reverse("institution-detail", args=[inst.org_code])
        sheet.rows.append(
            [
                Link(inst.name, f"{url}?{query}" if query else url),
                inst.org_code,
                inst.region_label,
                inst.get_category_display(),
            ]
        )
    return sheet
