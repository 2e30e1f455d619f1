"""The onboarding table and the counts per region as `Sheet`s: the page and the
Excel file (the list a province sends out) hold the same rows."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.sheets import Link, Sheet

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
            _("Completed?"),
            _("Days past deadline"),
        ],
        numeric=frozenset({0, len(steps) + 5}),
    )
    platform = table.plan.platform.code
    for number, row in enumerate(table.rows, start=1):
        inst = row.institution
        name = inst.name
        if links:
            name = Link(name, reverse("onboarding-edit", args=[platform, inst.org_code]))
        sheet.rows.append(
            [
                number,
                inst.region_label,
                name,
                inst.org_code,
                *row.dates,
                _("Yes") if row.done else _("No"),
                row.days_past_deadline(table.plan.deadline, table.today),
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
