"""Coverage of the build-out phases (建设分期), as metrics.md defines it: a phase's
targets connected (or upstream) on a day ÷ its targets, a percentage with no
decimals like the connection rate. The one implementation: the onboarding page and
the bulletin read it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet

from apps.institutions.models import Institution
from apps.onboarding.models import OnboardingPlan, PhaseTarget
from apps.platforms.models import ConnectionStatus, Platform

from .figures import percent, period_figures

JOINED = (ConnectionStatus.CONNECTED, ConnectionStatus.UPSTREAM)


@dataclass(frozen=True)
class PhaseCoverage:
    plan: OnboardingPlan
    targets: int  # active targets among the institutions asked about
    joined: int  # of them connected or upstream on the day
    day: dt.date

    @property
    def coverage(self) -> Decimal | None:
        return percent(self.joined, self.targets, Decimal("1"))

    @property
    def past_deadline(self) -> bool:
        return self.day > self.plan.deadline


def phase_coverage(
    *, institutions: QuerySet[Institution], platform: Platform, day: dt.date
) -> list[PhaseCoverage]:
    """Each phase of the platform that lists targets, in deadline order, with the
    coverage among `institutions` (the user's scope, a bulletin's region) on `day`.
    Phases without targets (a plan for everyone), or without any among
    `institutions`, have no coverage to give."""
    plans = list(
        OnboardingPlan.objects.filter(platform=platform)
        .annotate(n=Count("targets"))
        .filter(n__gt=0)
        .order_by("deadline", "id")
    )
    if not plans:
        return []
    plan_of = dict(
        PhaseTarget.objects.filter(platform=platform, institution__in=institutions).values_list(
            "institution_id", "plan_id"
        )
    )
    rows = period_figures(
        institutions=institutions.filter(
            pk__in=PhaseTarget.objects.filter(platform=platform).values("institution_id")
        ),
        platform=platform,
        start=day,
        end=day,
        with_scores=False,
    ).rows
    result = []
    for plan in plans:
        mine = [r for r in rows if plan_of.get(r.institution.pk) == plan.pk]
        if not mine:
            continue  # none of its targets among those asked about
        joined = sum(r.connection_status in JOINED for r in mine)
        result.append(PhaseCoverage(plan, len(mine), joined, day))
    return result
