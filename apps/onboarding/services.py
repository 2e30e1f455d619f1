"""Writes of onboarding: a platform's phases (plans), their target institutions
from a file, and the day an institution completed a step (entered or cleared by
the officers supervising it)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import OFFICER_ROLES, User
from apps.accounts.scoping import institutions_for, manages_platform
from apps.audit.models import AuditEvent
from apps.audit.services import audit_import, audit_record
from apps.core.results import ImportResult
from apps.core.tabular import FileRefused, date_problem, parse_date, read_rows
from apps.institutions.models import Institution
from apps.institutions.services import institution_ids_of_rows
from apps.platforms.models import Platform
from apps.regions.models import Region

from .models import DEFAULT_STEPS, OnboardingPlan, OnboardingStep, PhaseTarget, StepCompletion

TARGET_COLUMNS = {"org_code": ["机构代码"], "go_live": ["应接入日期"]}
STEP_COLUMNS = {"org_code": ["机构代码"], "step": ["步骤"], "done_on": ["完成日期"]}


def may_edit_onboarding(user: User, institution: Institution) -> bool:
    return (
        user.is_authenticated
        and user.role in OFFICER_ROLES
        and institutions_for(user).filter(pk=institution.pk).exists()
    )


def may_plan_onboarding(user: User, platform: Platform) -> bool:
    """The officers who manage the platform (its region's province or city
    officers, and superusers) set its phases, targets and steps."""
    return manages_platform(user, platform)


@transaction.atomic
def plan_create(
    *,
    platform: Platform,
    deadline: dt.date,
    name: str = "一期",
    note: str = "",
    steps: Sequence[str] = (),
    user: User | None = None,
) -> OnboardingPlan:
    """A phase with the given steps in order, or the four usual ones. Its name is
    unique on the platform. Audited (`user` acting; None on the command line)."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Name the phase."))
    if OnboardingPlan.objects.filter(platform=platform, name=name).exists():
        raise ValidationError(_("The platform already has a phase “%(name)s”.") % {"name": name})
    plan = OnboardingPlan.objects.create(platform=platform, name=name, deadline=deadline, note=note)
    plan_add_steps(plan=plan, steps=steps)
    audit_record(
        action=AuditEvent.Action.PHASE_CREATED,
        actor=user,
        obj=plan,
        region=platform.region,
        details={"platform": platform.code, "name": name, "deadline": deadline, "note": note},
    )
    return plan


def plan_has_history(plan: OnboardingPlan) -> bool:
    """Whether anything was recorded against the phase: a step dated for one of
    its institutions."""
    return StepCompletion.objects.filter(step__plan=plan).exists()


@transaction.atomic
def plan_delete(*, plan: OnboardingPlan, user: User | None = None) -> None:
    """Delete a phase created by mistake, with its steps and targets, while it has
    no history (no step dated); audited with what it held."""
    plan = OnboardingPlan.objects.select_for_update().select_related("platform").get(pk=plan.pk)
    if plan_has_history(plan):
        raise ValidationError(
            _("The phase “%(name)s” has dated steps: it cannot be deleted.") % {"name": plan.name}
        )
    details = {
        "platform": plan.platform.code,
        "name": plan.name,
        "deadline": plan.deadline,
        "targets": plan.targets.count(),
        "steps": list(plan.steps.values_list("name", flat=True)),
    }
    audit_record(
        action=AuditEvent.Action.PHASE_DELETED,
        actor=user,
        object_type=OnboardingPlan._meta.label_lower,
        object_id=str(plan.pk),
        object_label=str(plan),
        region=plan.platform.region,
        details=details,
    )
    plan.delete()


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
    before = (
        StepCompletion.objects.filter(institution=institution, step=step)
        .values_list("done_on", flat=True)
        .first()
    )
    if before == done_on:
        return StepCompletion.objects.filter(institution=institution, step=step).first()
    audit_record(
        action=AuditEvent.Action.ONBOARDING_CHANGED,
        actor=user,
        obj=institution,
        region=institution.region,
        details={
            "platform": step.plan.platform.code,
            "phase": step.plan.name,
            "step": step.name,
            "old": before,
            "new": done_on,
        },
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
    plan = _phase(platform, phase)
    rows = read_rows(source, TARGET_COLUMNS, optional=("go_live",))
    problems: list[str] = []
    wanted: dict[str, tuple[int, dt.date | None]] = {}
    for row in rows:
        code, text = row.values["org_code"], row.values.get("go_live", "").strip()
        where = _("Row %(row)d: ") % {"row": row.number}
        go_live = parse_date(text) if text else None
        if text and go_live is None:
            problems.append(where + date_problem(text))
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


def _phase(platform: Platform, phase: str) -> OnboardingPlan:
    plan = OnboardingPlan.objects.filter(platform=platform, name=phase.strip()).first()
    if plan is None:
        raise FileRefused(
            [
                _("The platform has no build-out phase “%(phase)s”: create it first.")
                % {"phase": phase}
            ]
        )
    return plan


@transaction.atomic
def phase_steps_import(
    *,
    source: str | Path | bytes,
    platform: Platform,
    phase: str,
    within: Region | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Load the days institutions completed a phase's steps (org_code, step — its
    name —, done_on; an empty day clears the step). Only the steps the file names
    change. Unknown institutions or steps, institutions that are no target of a phase
    that has targets, bad or future days and repeated (institution, step) pairs
    refuse the file; nothing is written then. Audited as an import."""
    plan = _phase(platform, phase)
    today = today or timezone.localdate()
    steps = {s.name: s for s in plan.steps.all()}
    rows = read_rows(source, STEP_COLUMNS, optional=("done_on",))
    problems: list[str] = []
    wanted: dict[tuple[str, str], tuple[int, dt.date | None]] = {}
    for row in rows:
        code, name = row.values["org_code"], row.values["step"].strip()
        text = row.values.get("done_on", "").strip()
        where = _("Row %(row)d: ") % {"row": row.number}
        day = parse_date(text) if text else None
        if name not in steps:
            problems.append(
                where
                + _("The phase has no step “%(step)s” (its steps: %(steps)s).")
                % {"step": name, "steps": "、".join(steps)}
            )
        elif text and day is None:
            problems.append(where + date_problem(text))
        elif day is not None and day > today:
            problems.append(where + _("A step cannot be done in the future."))
        elif (code, name) in wanted:
            problems.append(
                where
                + _("Repeats row %(other)d (same institution and step).")
                % {"other": wanted[(code, name)][0]}
            )
        else:
            wanted[(code, name)] = (row.number, day)
    if problems:
        raise FileRefused(problems)
    ids = institution_ids_of_rows(Counter(code for code, _step in wanted), within=within)
    targets = set(plan.targets.values_list("institution_id", flat=True))
    if targets:
        outside = sorted(
            {
                (number, code)
                for (code, _s), (number, _d) in wanted.items()
                if ids[code] not in targets
            }
        )
        if outside:
            raise FileRefused(
                [
                    _("Row %(row)d: ") % {"row": number}
                    + _("Institution %(code)s is no target of the phase “%(phase)s”.")
                    % {"code": code, "phase": plan.name}
                    for number, code in outside
                ]
            )
    current = {
        (c.institution_id, c.step_id): c
        for c in StepCompletion.objects.filter(
            step__plan=plan, institution_id__in=set(ids.values())
        )
    }
    result = ImportResult()
    for (code, name), (number, day) in wanted.items():
        step = steps[name]
        key = f"{code} {name}"
        before = current.get((ids[code], step.pk))
        if day is None:
            if before is None:
                result.same()
            else:
                before.delete()
                result.change(number, key, [(name, before.done_on, None)])
        elif before is None:
            StepCompletion.objects.create(institution_id=ids[code], step=step, done_on=day)
            result.add(number, key)
        elif before.done_on != day:
            result.change(number, key, [(name, before.done_on, day)])
            before.done_on = day
            before.entered_at = timezone.now()
            before.save(update_fields=["done_on", "entered_at"])
        else:
            result.same()
    audit_import(what=f"phase steps {platform.code} {plan.name}", source=source, result=result)
    return result
