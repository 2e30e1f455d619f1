"""The onboarding table: each active institution in the user's scope with the day
of every step of a platform's plan, whether it is done, and how many days past
the deadline it is if not. Three queries whatever the number of institutions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.scoping import institutions_for, onboarding_completions_for
from apps.institutions.models import Institution
from apps.regions.models import Region

from .models import OnboardingPlan, OnboardingStep


@dataclass(frozen=True)
class OnboardingRow:
    institution: Institution
    dates: list[dt.date | None]  # one per step, in the plan's order

    @property
    def done(self) -> bool:
        """Done when every step of the plan has a date."""
        return bool(self.dates) and all(self.dates)

    def days_past_deadline(self, deadline: dt.date, today: dt.date) -> int | None:
        if self.done or today <= deadline:
            return None
        return (today - deadline).days


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
    if region is not None:
        institutions = institutions.filter(region__path__startswith=region.path)
    done_on = {
        (c["institution_id"], c["step_id"]): c["done_on"]
        for c in onboarding_completions_for(user)
        .filter(step__plan=plan, institution__in=institutions)
        .values("institution_id", "step_id", "done_on")
    }
    rows = [
        OnboardingRow(i, [done_on.get((i.pk, s.pk)) for s in steps])
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
