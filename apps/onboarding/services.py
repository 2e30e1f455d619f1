"""Writes of onboarding: a platform's plan, and the day an institution completed a
step (entered or cleared by the officers supervising it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import OFFICER_ROLES, User
from apps.accounts.scoping import institutions_for
from apps.institutions.models import Institution
from apps.platforms.models import Platform

from .models import DEFAULT_STEPS, OnboardingPlan, OnboardingStep, StepCompletion


def may_edit_onboarding(user: User, institution: Institution) -> bool:
    return (
        user.is_authenticated
        and user.role in OFFICER_ROLES
        and institutions_for(user).filter(pk=institution.pk).exists()
    )


def may_plan_onboarding(user: User) -> bool:
    """Province and city officers and superusers set a platform's plan."""
    return user.is_authenticated and ((user.is_superuser and not user.role) or user.is_commission)


@transaction.atomic
def plan_create(
    *, platform: Platform, deadline: dt.date, note: str = "", steps: Sequence[str] = ()
) -> OnboardingPlan:
    """A plan with the given steps in order, or the four usual ones."""
    plan = OnboardingPlan.objects.create(platform=platform, deadline=deadline, note=note)
    plan_add_steps(plan=plan, steps=steps)
    return plan


@transaction.atomic
def plan_add_steps(*, plan: OnboardingPlan, steps: Sequence[str] = ()) -> None:
    """Give a plan without steps the given ones, or the four usual ones."""
    if plan.steps.exists():
        return
    OnboardingStep.objects.bulk_create(
        OnboardingStep(plan=plan, position=position, name=name)
        for position, name in enumerate(steps or DEFAULT_STEPS, start=1)
    )


@transaction.atomic
def step_set_date(
    *, user: User, institution: Institution, step: OnboardingStep, done_on: dt.date | None
) -> StepCompletion | None:
    """Record the day `institution` completed `step`, or clear it (done_on None)."""
    if not may_edit_onboarding(user, institution):
        raise PermissionDenied(
            _("Only the officers supervising this institution may enter its onboarding.")
        )
    if done_on is None:
        StepCompletion.objects.filter(institution=institution, step=step).delete()
        return None
    completion, _created = StepCompletion.objects.update_or_create(
        institution=institution,
        step=step,
        defaults={"done_on": done_on, "entered_by": user, "entered_at": timezone.now()},
    )
    return completion
