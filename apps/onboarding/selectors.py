"""The onboarding table of a phase: each of its targets in the user's scope (every
active institution in it, for a phase without targets) with the day of every step,
its connection status and whether it is done — connected on the phase's platform
(metrics.md; the steps record the way there) —, its go-live date, and how late it
completed or how many days past its date it is. Grouped as the Henan notice's 附件2
lists them: by the scope's next level (a province's cities, a city's counties), the
institutions directly under the scope first. Five queries whatever the number of
institutions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.scoping import institutions_for, onboarding_completions_for
from apps.institutions.models import Institution
from apps.metrics.phases import TargetState, target_states
from apps.regions.models import DIRECT_LABELS, Region

from .models import OnboardingPlan, OnboardingStep, PhaseTarget

DIRECT = "direct"


@dataclass(frozen=True)
class OnboardingRow:
    institution: Institution
    dates: list[dt.date | None]  # one per step, in the plan's order
    go_live: dt.date  # 应接入日期: the target's own, else the phase's deadline
    state: TargetState
    group: Region | None  # the scope's next level it lies in; None: directly under it

    @property
    def done(self) -> bool:
        """Done when connected (or upstream) on the phase's platform: metrics.md."""
        return self.state.done

    @property
    def late_days(self) -> int | None:
        """N of 逾期N天完成."""
        return self.state.late_days(self.go_live)

    def days_past_deadline(self, today: dt.date) -> int | None:
        if self.done or today <= self.go_live:
            return None
        return (today - self.go_live).days

    def last_step(self, steps: list[OnboardingStep]) -> tuple[str, dt.date] | None:
        """The furthest step dated, and its day."""
        dated = [(s.name, d) for s, d in zip(steps, self.dates, strict=True) if d]
        return dated[-1] if dated else None


@dataclass(frozen=True)
class OnboardingTable:
    plan: OnboardingPlan
    steps: list[OnboardingStep]
    rows: list[OnboardingRow]
    today: dt.date
    scope: Region | None  # whose next level groups the rows

    @property
    def late(self) -> int:
        return sum(r.late_days is not None for r in self.rows)


@dataclass(frozen=True)
class RegionProgress:
    label: str
    institutions: int
    done: int
    late: int = 0

    @property
    def not_done(self) -> int:
        return self.institutions - self.done


def scope_region(user: User, plan: OnboardingPlan) -> Region | None:
    """The region whose next level groups the table: the user's own, a superuser's
    the platform's."""
    if user.role and user.region_id:
        return user.region
    if user.role == User.Role.HOSPITAL:
        return None
    return plan.platform.region


def group_label(group: Region | None, scope: Region | None) -> str:
    """The group's name as the list writes it: the city or county, or 省直/市直 for
    the institutions directly under the scope."""
    if group is not None:
        return group.name
    if scope is None:
        return ""
    if scope.level == Region.Level.COUNTY:  # no level below a county: the county's own
        return scope.name
    return str(DIRECT_LABELS.get(scope.level, ""))


def onboarding_table(
    user: User,
    plan: OnboardingPlan,
    *,
    region: Region | None = None,
    not_done_only: bool = False,
    today: dt.date | None = None,
) -> OnboardingTable:
    today = today or timezone.localdate()
    steps = list(plan.steps.all())
    institutions = institutions_for(user).filter(active=True).select_related("region")
    own_dates = dict(PhaseTarget.objects.filter(plan=plan).values_list("institution_id", "go_live"))
    if own_dates:
        institutions = institutions.filter(pk__in=list(own_dates))
    if region is not None:
        institutions = institutions.filter(region__path__startswith=region.path)
    institutions = list(institutions)
    done_on = {
        (c["institution_id"], c["step_id"]): c["done_on"]
        for c in onboarding_completions_for(user)
        .filter(step__plan=plan, institution__in=[i.pk for i in institutions])
        .values("institution_id", "step_id", "done_on")
    }
    states = target_states(
        platform=plan.platform, institutions=[i.pk for i in institutions], day=today
    )
    scope = scope_region(user, plan)
    groups = _groups(scope, institutions)
    rows = [
        OnboardingRow(
            i,
            [done_on.get((i.pk, s.pk)) for s in steps],
            own_dates.get(i.pk) or plan.deadline,
            states[i.pk],
            groups.get(i.pk),
        )
        for i in institutions
    ]
    rows.sort(key=lambda r: _order(r, scope))
    if not_done_only:
        rows = [r for r in rows if not r.done]
    return OnboardingTable(plan, steps, rows, today, scope)


def _groups(scope: Region | None, institutions: list[Institution]) -> dict[int, Region]:
    """Each institution's region at the scope's next level (none: directly under it).
    One query."""
    depth = scope.depth if scope else 0
    codes = {}
    for inst in institutions:
        chain = [c for c in inst.region.path.split("/") if c]
        if len(chain) > depth:
            codes[inst.pk] = chain[depth]
    regions = Region.objects.in_bulk(set(codes.values()))
    return {pk: regions[code] for pk, code in codes.items() if code in regions}


def _order(row: OnboardingRow, scope: Region | None) -> tuple:
    # The directly attached first (省直, 市直), then the next level in the registry's
    # order, and within it the registry's order (region, then code).
    group = row.group
    return (
        group is not None,
        group.sort_key if group else "",
        row.institution.region.sort_key,
        row.institution.org_code,
    )


def progress_by_region(table: OnboardingTable) -> list[RegionProgress]:
    """Institutions, done, late and not done per group of the scope's next level (a
    province's cities — each with its own 市直 —, a city's counties), the directly
    attached first."""
    counts: dict[str, list[int]] = {}
    for row in table.rows:
        total = counts.setdefault(group_label(row.group, table.scope), [0, 0, 0])
        total[0] += 1
        total[1] += row.done
        total[2] += row.late_days is not None
    return [
        RegionProgress(label, total, done, late) for label, (total, done, late) in counts.items()
    ]
