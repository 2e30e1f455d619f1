"""Writes of onboarding: a platform's phases (plans), their target institutions
from a file, and the day an institution completed a step (entered or cleared by
the officers supervising it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import OFFICER_ROLES, User
from apps.accounts.scoping import institutions_for
from apps.audit.services import audit_import
from apps.core.results import ImportResult
from apps.core.tabular import FileRefused, parse_date, read_rows
from apps.institutions.models import Institution
from apps.institutions.services import institution_ids_of_rows
from apps.platforms.models import Platform
from apps.regions.models import Region

from .models import DEFAULT_STEPS, OnboardingPlan, OnboardingStep, PhaseTarget, StepCompletion

TARGET_COLUMNS = {"org_code": ["机构代码"], "go_live": ["应接入日期"]}


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
    *,
    platform: Platform,
    deadline: dt.date,
    name: str = "一期",
    note: str = "",
    steps: Sequence[str] = (),
) -> OnboardingPlan:
    """A phase with the given steps in order, or the four usual ones. Its name is
    unique on the platform."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Name the phase."))
    if OnboardingPlan.objects.filter(platform=platform, name=name).exists():
        raise ValidationError(_("The platform already has a phase “%(name)s”.") % {"name": name})
    plan = OnboardingPlan.objects.create(platform=platform, name=name, deadline=deadline, note=note)
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


@transaction.atomic
def phase_targets_import(
    *,
    source: str | Path | bytes,
    platform: Platform,
    phase: str,
    within: Region | None = None,
) -> ImportResult:
    """Load a phase's target institutions (org_code, and optionally go_live, the
    institution's own go-live date where it differs from the phase's deadline).
    The file is the phase's whole list (within the importer's region): targets it
    omits leave the phase. Unknown phases or institutions, bad dates, rows repeated
    and institutions already targets of another phase of the platform refuse the
    file; nothing is written then."""
    plan = OnboardingPlan.objects.filter(platform=platform, name=phase.strip()).first()
    if plan is None:
        raise FileRefused(
            [
                _("The platform has no build-out phase “%(phase)s”: create it first.")
                % {"phase": phase}
            ]
        )
    rows = read_rows(source, TARGET_COLUMNS, optional=("go_live",))
    problems: list[str] = []
    wanted: dict[str, tuple[int, dt.date | None]] = {}
    for row in rows:
        code, text = row.values["org_code"], row.values.get("go_live", "").strip()
        where = _("Row %(row)d: ") % {"row": row.number}
        go_live = parse_date(text) if text else None
        if text and go_live is None:
            problems.append(where + _("Unrecognised date “%(value)s”.") % {"value": text})
        elif code in wanted:
            problems.append(
                where + _("Repeats row %(other)d (same institution).") % {"other": wanted[code][0]}
            )
        else:
            wanted[code] = (row.number, go_live)
    if problems:
        raise FileRefused(problems)
    ids = institution_ids_of_rows(dict.fromkeys(wanted, 1), within=within)
    elsewhere = {
        inst: name
        for inst, name in PhaseTarget.objects.filter(
            platform=platform, institution_id__in=ids.values()
        )
        .exclude(plan=plan)
        .values_list("institution_id", "plan__name")
    }
    for code, (number, _go_live) in wanted.items():
        if ids[code] in elsewhere:
            problems.append(
                _("Row %(row)d: ") % {"row": number}
                + _("Institution %(code)s is already a target of the phase “%(phase)s”.")
                % {"code": code, "phase": elsewhere[ids[code]]}
            )
    if problems:
        raise FileRefused(problems)

    current = plan.targets.select_related("institution")
    if within is not None:
        current = current.filter(institution__region__path__startswith=within.path)
    existing = {t.institution.org_code: t for t in current}
    result = ImportResult()
    header = TARGET_COLUMNS["go_live"][0]
    for code, (number, go_live) in wanted.items():
        target = existing.pop(code, None)
        if target is None:
            PhaseTarget.objects.create(
                plan=plan, platform=platform, institution_id=ids[code], go_live=go_live
            )
            result.add(number, code)
        elif target.go_live != go_live:
            result.change(number, code, [(header, target.go_live, go_live)])
            target.go_live = go_live
            target.save(update_fields=["go_live"])
        else:
            result.same()
    for code, target in existing.items():
        target.delete()
        result.remove(f"{code} {target.institution.name}")
    audit_import(what=f"phase targets {platform.code} {plan.name}", source=source, result=result)
    return result
