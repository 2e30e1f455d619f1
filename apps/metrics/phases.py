"""The build-out phases (建设分期), as metrics.md defines them: a target is done on a
day when it is connected (or upstream) on the phase's platform that day, completed on
the first day it became so, 逾期N天完成 when that is after its go-live date; a phase's
coverage is its targets done ÷ its targets, a percentage with no decimals like the
connection rate. The one implementation: the onboarding page and the bulletin read
it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet

from apps.institutions.models import Institution
from apps.onboarding.models import OnboardingPlan, PhaseTarget
from apps.platforms.models import ConnectionChange, ConnectionStatus, Platform

from .figures import percent

JOINED = (ConnectionStatus.CONNECTED, ConnectionStatus.UPSTREAM)


@dataclass(frozen=True)
class TargetState:
    """A phase's target on a day (metrics.md, 建设分期): its connection status on the
    phase's platform, and — when it is connected or upstream that day, so done — the
    first day it became so."""

    status: str
    completed_on: dt.date | None

    @property
    def done(self) -> bool:
        return self.completed_on is not None

    def late_days(self, go_live: dt.date) -> int | None:
        """N of 逾期N天完成: days from the go-live date to the completion, if after it."""
        if self.completed_on is None or self.completed_on <= go_live:
            return None
        return (self.completed_on - go_live).days


def target_states(
    *, platform: Platform, institutions: Iterable[int], day: dt.date
) -> dict[int, TargetState]:
    """Per institution id, its state as a target on `day`: done when its connection
    status on the platform is connected or upstream that day, completed on the first
    day it became so. One query."""
    history: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for inst, effective, status in (
        ConnectionChange.objects.filter(
            connection__platform=platform,
            connection__institution_id__in=list(institutions),
            effective_date__lte=day,
        )
        .order_by("effective_date", "id")
        .values_list("connection__institution_id", "effective_date", "to_status")
    ):
        history[inst].append((effective, status))
    states = {}
    for inst in institutions:
        changes = history.get(inst, [])
        status = changes[-1][1] if changes else ConnectionStatus.NOT_CONNECTED
        first = next((d for d, s in changes if s in JOINED), None)
        states[inst] = TargetState(status, first if status in JOINED else None)
    return states


@dataclass(frozen=True)
class PhaseCoverage:
    plan: OnboardingPlan
    targets: int  # active targets among the institutions asked about
    joined: int  # of them connected or upstream on the day: done
    day: dt.date
    late: int = 0  # of the done, those completed after their go-live date

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
    targets = {
        inst: (plan_id, go_live)
        for inst, plan_id, go_live in PhaseTarget.objects.filter(
            platform=platform, institution__in=institutions.filter(active=True)
        ).values_list("institution_id", "plan_id", "go_live")
    }
    states = target_states(platform=platform, institutions=list(targets), day=day)
    result = []
    for plan in plans:
        mine = [inst for inst, (plan_id, _g) in targets.items() if plan_id == plan.pk]
        if not mine:
            continue  # none of its targets among those asked about
        done = [inst for inst in mine if states[inst].done]
        late = sum(
            states[inst].late_days(targets[inst][1] or plan.deadline) is not None for inst in done
        )
        result.append(PhaseCoverage(plan, len(mine), len(done), day, late))
    return result
