"""The onboarding table and the counts per region as `Sheet`s: the page and the
Excel file (the list a province sends out) hold the same rows."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.sheets import Link, Sheet
from apps.institutions.models import name_header
from apps.metrics.phases import PhaseCoverage
from apps.platforms.models import ConnectionStatus
from apps.regions.models import Region

from .selectors import OnboardingRow, OnboardingTable, RegionProgress, group_label

STATUS_LABELS = dict(ConnectionStatus.choices)


def group_header(table: OnboardingTable) -> str:
    """The column of the scope's next level: 省辖市/省直 for a province, 区县/市直 for a
    city."""
    scope = table.scope
    if scope is not None and scope.level == Region.Level.PROVINCE:
        return _("City / directly under the province")
    if scope is not None and scope.level == Region.Level.CITY:
        return _("County / directly under the city")
    return _("Region")


def completion_text(row: OnboardingRow) -> str:
    """是 / 逾期N天完成 / 否 (done on time, done after the go-live date, not done)."""
    if not row.done:
        return str(_("No"))
    if row.late_days is not None:
        return _("Completed %(days)d days late") % {"days": row.late_days}
    return str(_("Yes"))


def institution_sheet(table: OnboardingTable, *, links: bool) -> Sheet:
    steps = table.steps
    sheet = Sheet(
        key="institutions",
        title=_("Onboarding progress"),
        headers=[
            _("No."),
            group_header(table),
            _("Institution name"),
            _("Institution code"),
            *(s.name for s in steps),
            _("Go-live date"),
            _("Connection status"),
            _("Connected on"),
            _("Completed?"),
            _("Days past deadline"),
        ],
        numeric=frozenset({0, len(steps) + 8}),
    )
    for number, row in enumerate(table.rows, start=1):
        inst = row.institution
        name = inst.name
        if links:
            name = Link(name, reverse("onboarding-edit", args=[table.plan.pk, inst.org_code]))
        sheet.rows.append(
            [
                number,
                group_label(row.group, table.scope),
                name,
                inst.org_code,
                *row.dates,
                row.go_live,
                str(STATUS_LABELS.get(row.state.status, row.state.status)),
                row.state.completed_on,
                completion_text(row),
                row.days_past_deadline(table.today),
            ]
        )
    return sheet


def not_done_sheet(table: OnboardingTable) -> Sheet:
    """未完成名单: the targets not done, under their city (or county), the directly
    attached first — the Henan notice's 附件2 — with each one's connection status,
    last step and days past its go-live date."""
    sheet = Sheet(
        key="not_done",
        title=_("Institutions not done"),
        headers=[
            group_header(table),
            name_header(r.institution for r in table.rows),
            _("Institution code"),
            _("Connection status"),
            _("Last step"),
            _("Go-live date"),
            _("Days past deadline"),
        ],
        numeric=frozenset({6}),
        empty_text=_("Every target of the phase is connected."),
    )
    for row in table.rows:
        if row.done:
            continue
        last = row.last_step(table.steps)
        sheet.rows.append(
            [
                group_label(row.group, table.scope),
                row.institution.name,
                row.institution.org_code,
                str(STATUS_LABELS.get(row.state.status, row.state.status)),
                f"{last[0]}（{last[1].isoformat()}）" if last else None,
                row.go_live,
                row.days_past_deadline(table.today),
            ]
        )
    return sheet


def region_sheet(progress: list[RegionProgress], header: str = "") -> Sheet:
    sheet = Sheet(
        key="regions",
        title=_("Onboarding by region"),
        headers=[
            header or _("Region"),
            _("Institutions"),
            _("Done"),
            _("Of which late"),
            _("Not done"),
        ],
        numeric=frozenset({1, 2, 3, 4}),
    )
    for p in progress:
        sheet.rows.append([p.label, p.institutions, p.done, p.late, p.not_done])
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
            _("Of which late"),
            _("Not connected"),
            _("Coverage (%)"),
        ],
        numeric=frozenset({2, 3, 4, 5, 6}),
    )
    for c in coverage:
        sheet.rows.append(
            [
                c.plan.name,
                c.plan.deadline,
                c.targets,
                c.joined,
                c.late,
                c.targets - c.joined,
                c.coverage,
            ]
        )
    return sheet
