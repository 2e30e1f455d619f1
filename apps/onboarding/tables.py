"""The onboarding table and the counts per region as `Sheet`s: the page and the
Excel file (the list a province sends out) hold the same rows."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.sheets import Link, Sheet
from apps.metrics.phases import PhaseCoverage

from .selectors import OnboardingTable, RegionProgress


def institution_sheet(table: OnboardingTable, *, links: bool) -> Sheet:
    steps = table.steps
    sheet = Sheet(
        key="institutions",
        title=_("Onboarding progress"),
        headers=[
            _("No."),
            _("Region"),
            _("Institution name"),
            _("Institution code"),
            *(s.name for s in steps),
            _("Go-live date"),
            _("Completed?"),
            _("Days past deadline"),
        ],
        numeric=frozenset({0, len(steps) + 6}),
    )
    for number, row in enumerate(table.rows, start=1):
        inst = row.institution
        name = inst.name
        if links:
            name = Link(name, reverse("onboarding-edit", args=[table.plan.pk, inst.org_code]))
        sheet.rows.append(
            [
                number,
                inst.region_label,
                name,
                inst.org_code,
                *row.dates,
                row.go_live,
                _("Yes") if row.done else _("No"),
                row.days_past_deadline(table.today),
            ]
        )
    return sheet


def region_sheet(progress: list[RegionProgress]) -> Sheet:
    sheet = Sheet(
        key="regions",
        title=_("Onboarding by region"),
        headers=[_("Region"), _("Institutions"), _("Done"), _("Not done")],
        numeric=frozenset({1, 2, 3}),
    )
    for p in progress:
        sheet.rows.append([p.label, p.institutions, p.done, p.not_done])
    return sheet


def phase_sheet(coverage: list[PhaseCoverage]) -> Sheet:
    """Coverage by phase (建设分期): targets, connected, coverage."""
    sheet = Sheet(
        key="phases",
        title=_("Coverage by phase"),
        headers=[
            _("Phase"),
            _("Go-live deadline"),
            _("Targets"),
            _("Connected"),
            _("Not connected"),
            _("Coverage (%)"),
        ],
        numeric=frozenset({2, 3, 4, 5}),
    )
    for c in coverage:
        sheet.rows.append(
            [c.plan.name, c.plan.deadline, c.targets, c.joined, c.targets - c.joined, c.coverage]
        )
    return sheet
