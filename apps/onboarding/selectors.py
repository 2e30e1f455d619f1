"""The onboarding table of a phase: each of its targets in the user's scope (every
active institution in it, for a phase without targets) with the day of every step,
whether it is done, its go-live date and how many days past it it is if not. Four
queries whatever the number of institutions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.scoping import institutions_for, onboarding_completions_for
from apps.institutions.models import Institution
from apps.regions.models import Region

from .models import OnboardingPlan, OnboardingStep, PhaseTarget


@dataclass(frozen=True)
class OnboardingRow:
    institution: Institution
    dates: list[dt.date | None]  # one per step, in the plan's order
    go_live: dt.date  # 应接入日期: the target's own, else the phase's deadline

    @property
    def done(self) -> bool:
        """Done when every step of the plan has a date."""
        return bool(self.dates) and all(self.dates)

    def days_past_deadline(self, today: dt.date) -> int | None:
        if self.done or today <= self.go_live:
            return None
        return (today - self.go_live).days


@dataclass(frozen=True)
class OnboardingTable:
    plan: OnboardingPlan
    steps: list[OnboardingStep]
    rows: list[OnboardingRow]
    today: dt.date


@dataclass(frozen=True)
class RegionProgress:
    label: str
    institutions: int
    done: int

    @property
    def not_done(self) -> int:
        return self.institutions - self.done


def _region_order(institution: Institution) -> tuple:
    # The registry's order (as the bulletins list them): 市直 first, then the counties.
    return (institution.region.sort_key, institution.org_code)


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
    done_on = {
        (c["institution_id"], c["step_id"]): c["done_on"]
        for c in onboarding_completions_for(user)
        .filter(step__plan=plan, institution__in=institutions)
        .values("institution_id", "step_id", "done_on")
    }
    rows = [
        OnboardingRow(
            i, [done_on.get((i.pk, s.pk)) for s in steps], own_dates.get(i.pk) or plan.deadline
        )
        for i in sorted(institutions, key=_region_order)
    ]
    if not_done_only:
        rows = [r for r in rows if not r.done]
    return OnboardingTable(plan, steps, rows, today)


def progress_by_region(table: OnboardingTable) -> list[RegionProgress]:
    """Institutions, done and not done per region (市直 and each county), in the
    table's order."""
    counts: dict[str, list[int]] = {}
    for row in table.rows:
        total_done = counts.setdefault(row.institution.region_label, [0, 0])
        total_done[0] += 1
        total_done[1] += row.done
    return [RegionProgress(label, total, done) for label, (total, done) in counts.items()]
