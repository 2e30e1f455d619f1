"""The home page's per-region table: the rows of one `PeriodFigures` grouped by
the child regions of the region in view, each group summarised by the metrics
module's own `Summary`."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.sheets import Link, Sheet
from apps.metrics.figures import InstitutionFigures, PeriodFigures, Summary, Tier
from apps.regions.models import DIRECT_LABELS, Region


@dataclass
class RegionGroup:
    label: str
    region: Region | None  # None for institutions attached to the parent region itself
    summary: Summary


def region_breakdown(
    figures: PeriodFigures, parent: Region | None, children: list[Region]
) -> list[RegionGroup]:
    """One group per child region (institutions at any depth below it), plus one for
    the institutions attached directly to `parent`, when there are any."""
    grouped: dict[str, list] = {child.path: [] for child in children}
    direct = []
    for row in figures.rows:
        path = row.institution.region.path
        child = next((c for c in children if path.startswith(c.path)), None)
        (grouped[child.path] if child else direct).append(row)

    def summarise(rows) -> Summary:
        return PeriodFigures(
            figures.platform, figures.start, figures.end, figures.definitions, rows
        ).summary

    groups = [RegionGroup(child.name, child, summarise(grouped[child.path])) for child in children]
    if direct:
        label = (
            str(DIRECT_LABELS.get(parent.level, _("Directly attached"))) if parent else _("Other")
        )
        groups.insert(0, RegionGroup(label, None, summarise(direct)))
    return groups


def breakdown_sheet(groups: list[RegionGroup], query=None) -> Sheet:
    """The home page's per-region table, shown and exported from this one object;
    a region links to the home page narrowed to it (`query`: the page's query)."""
    tier_labels = [str(label) for label in Tier.LABELS.values()]
    rows = []
    for group in groups:
        s = group.summary
        label = group.label
        if group.region is not None and query is not None:
            narrowed = query.copy()
            narrowed["region"] = group.region.code
            label = Link(group.label, f"?{narrowed.urlencode()}")
        rows.append(
            [
                label,
                s.institutions,
                s.connected,
                s.upstream,
                s.unconnected,
                s.connection_rate,
                f"{s.joined}/{s.institutions}",
                *s.tiers.values(),
                s.severely_missing,
                s.continuity_good,
                s.continuity_interrupted,
                s.continuity_none,
            ]
        )
    return Sheet(
        "regions",
        _("By region"),
        [
            _("Region"),
            _("Institutions"),
            _("Connected"),
            _("Connected to the provincial platform"),
            _("Not connected"),
            _("Connection rate (%)"),
            _("Joined / all"),
            *tier_labels,
            _("Severely missing"),
            _("Good continuity"),
            _("Interrupted continuity"),
            _("Continuity: no data uploaded"),
        ],
        rows,
        numeric=frozenset(range(1, 11 + len(tier_labels))) - {6},
    )


def unconnected_sheet(rows: list[InstitutionFigures], query: str = "") -> Sheet:
    sheet = Sheet(
        "unconnected",
        _("Unconnected institutions"),
        [_("Institution name"), _("Institution code"), _("Region"), _("Connection status")],
        empty_text=_("Every institution is connected."),
    )
    for r in rows:
        url = reverse("institution-detail", args=[r.org_code])
        sheet.rows.append(
            [
                Link(r.name, f"{url}?{query}" if query else url),
                r.org_code,
                r.institution.region_label,
                r.connection_status_label,
            ]
        )
    return sheet
