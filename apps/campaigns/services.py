"""Writes of a campaign: the campaign and its units, the inspection schedule, a
task from a problem or a finding (through the rectification workflow), and the
nightly check that closes tasks whose following nights meet their threshold."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.scoping import institutions_for, platforms_for, regions_for
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.institutions.models import Institution
from apps.rectification.models import RectificationTask, TaskState
from apps.rectification.services import task_close_by_figures, task_open

from .models import Campaign, CampaignTask, Inspection, ProblemKind
from .selectors import Problem, campaign_window, task_check

log = logging.getLogger(__name__)


def may_run_campaigns(user: User) -> bool:
    """Province and city officers (and superusers) create and change campaigns."""
    return user.is_authenticated and ((user.is_superuser and not user.role) or user.is_commission)


def may_manage(user: User, campaign: Campaign) -> bool:
    return may_run_campaigns(user) and regions_for(user).filter(pk=campaign.region_id).exists()


@transaction.atomic
def campaign_save(
    *, user: User, campaign: Campaign, units: list[Institution] | None = None
) -> Campaign:
    """Create or change a campaign: the region must be the user's, the platform one
    the user sees, the units in the region, the period in order, and at least one
    dimension targeted. Audited when something changed."""
    if (
        not may_run_campaigns(user)
        or not regions_for(user).filter(pk=campaign.region_id).exists()
        or not platforms_for(user).filter(pk=campaign.platform_id).exists()
    ):
        raise PermissionDenied(_("Only the commission running the campaign may change it."))
    if campaign.end < campaign.start:
        raise ValidationError(_("The campaign ends before it starts."))
    if not campaign.thresholds():
        raise ValidationError(_("Give the threshold of at least one dimension."))
    for value in campaign.thresholds().values():
        if not 0 <= value <= 100:
            raise ValidationError(_("A threshold is a percentage from 0 to 100."))
    if units is not None:
        inside = institutions_for(user).filter(region__path__startswith=campaign.region.path)
        if any(not inside.filter(pk=u.pk).exists() for u in units):
            raise ValidationError(_("Every unit must lie in the campaign's region."))
        if not units:
            raise ValidationError(_("Choose the units in the campaign."))
    fields = [f.name for f in Campaign._meta.concrete_fields if f.name not in ("id", "created_at")]
    before = (
        Campaign.objects.filter(pk=campaign.pk)
        .values(*[f.attname for f in _fields(fields)])
        .first()
        if campaign.pk
        else None
    )
    if campaign.pk is None:
        campaign.created_by = user
    campaign.save()
    changes = {
        f.name: {"old": before[f.attname] if before else None, "new": getattr(campaign, f.attname)}
        for f in _fields(fields)
        if before is None or before[f.attname] != getattr(campaign, f.attname)
    }
    if units is not None and set(campaign.units.all()) != set(units):
        changes["units"] = sorted(u.org_code for u in units)
        campaign.units.set(units)
    if changes:
        audit_record(
            action=AuditEvent.Action.CAMPAIGN_SAVED,
            actor=user,
            obj=campaign,
            region=campaign.region,
            details={"created": before is None, **changes},
        )
    return campaign


def _fields(names):
    return [Campaign._meta.get_field(name) for name in names]


@transaction.atomic
def inspection_save(*, user: User, inspection: Inspection) -> Inspection:
    campaign = inspection.campaign
    if not may_manage(user, campaign):
        raise PermissionDenied(_("Only the commission running the campaign may change it."))
    if (
        inspection.institution_id
        and not campaign.units.filter(pk=inspection.institution_id).exists()
    ):
        raise ValidationError(_("The hospital visited must be a unit of the campaign."))
    if inspection.region_id and not inspection.region.path.startswith(campaign.region.path):
        raise ValidationError(_("The commission visited must lie in the campaign's region."))
    inspection.save()
    return inspection


@transaction.atomic
def campaign_task_open(
    *,
    user: User,
    campaign: Campaign,
    problem: Problem,
    requirement: str,
    due_date: dt.date,
    inspection: Inspection | None = None,
) -> RectificationTask:
    """A rectification task from a problem (or an inspection's finding), linked to
    the campaign with what closes it. One open task per unit and problem."""
    if not campaign.units.filter(pk=problem.institution.pk).exists():
        raise ValidationError(_("The institution is not a unit of the campaign."))
    same = CampaignTask.objects.filter(
        campaign=campaign, task__institution=problem.institution, kind=problem.kind
    ).exclude(task__state=TaskState.ACCEPTED)
    if problem.kind not in (ProblemKind.TABLE, ProblemKind.DROP):
        same = same.filter(code=problem.code)
    if problem.kind != ProblemKind.FINDING and same.exists():
        raise ValidationError(_("This problem already has an open task."))
    task = task_open(
        user=user,
        institution=problem.institution,
        platform=campaign.platform,
        problem=f"【{campaign.name}】{problem.label}",
        requirement=requirement,
        due_date=due_date,
    )
    CampaignTask.objects.create(
        task=task,
        campaign=campaign,
        inspection=inspection,
        kind=problem.kind,
        code=problem.code,
        threshold=problem.threshold,
        after=campaign_window(campaign)[1],
    )
    return task


def campaign_tasks_check(today: dt.date | None = None) -> int:
    """After the night's pull: close every unresolved campaign task whose nights
    since its problem meet its threshold, saying so in its history. Returns how
    many closed."""
    closed = 0
    links = (
        CampaignTask.objects.exclude(task__state=TaskState.ACCEPTED)
        .filter(kind__in=[ProblemKind.DIMENSION, ProblemKind.RULE, ProblemKind.TABLE])
        .select_related("task", "campaign__platform")
    )
    for link in links:
        check = task_check(link, today)
        if check is not None and check.met:
            if task_close_by_figures(task=link.task, text=check.text):
                closed += 1
    if closed:
        log.info("campaigns: %d tasks closed by the figures", closed)
    return closed


def finding_problem(inspection: Inspection, institution: Institution, text: str) -> Problem:
    return Problem(institution, ProblemKind.FINDING, str(inspection.pk), text.strip())
