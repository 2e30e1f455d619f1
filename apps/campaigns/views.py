"""Pages of the improvement campaigns (专项提升行动): the list, a campaign with its
progress, each unit's problem list, the units by dimension before and after, the
inspection schedule and its tasks; forms for the campaign, an inspection and a
task from a problem. Every object through `campaigns_for` / `inspections_for`:
outside the user's scope is 404."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.accounts.scoping import (
    campaign_tasks_for,
    inspections_for,
    institutions_for,
    platforms_for,
    regions_for,
)
from apps.core.errors import InvalidParameter
from apps.core.methods import accepts
from apps.core.sheets import Link, Sheet, sheet_export
from apps.metrics.quality import quality_values
from apps.quality.models import Dimension
from apps.rectification.models import TaskState

from .forms import CampaignForm, InspectionForm, ProblemTaskForm
from .models import Campaign, Inspection, ProblemKind
from .selectors import (
    baseline_window,
    campaign_problems,
    campaign_progress,
    campaign_window,
    campaigns_in_scope,
    threshold_text,
    units_in_scope,
)
from .services import (
    campaign_save,
    campaign_task_open,
    finding_problem,
    inspection_save,
    may_manage,
    may_run_campaigns,
)


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    return get_object_or_404(campaigns_in_scope(request.user), pk=pk)


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = list(campaigns_in_scope(request.user))
    return render(
        request,
        "campaigns/list.html",
        {"campaigns": campaigns, "may_create": may_run_campaigns(request.user)},
    )


def problems_sheet(problems: dict, units, may_task: bool, campaign: Campaign, links) -> Sheet:
    """Each unit's problems; beside each, its open task, or the link that makes one."""
    sheet = Sheet(
        "problems",
        _("Problem list"),
        [_("Region"), _("Unit"), _("Kind"), _("Problem"), _("Task")],
        empty_text=_("The figures show no problem in the units you see."),
        page_only=frozenset({4}),
    )
    open_tasks = {
        (link.task.institution_id, link.problem_key): link.task
        for link in links
        if link.task.state != TaskState.ACCEPTED
    }
    url = reverse("campaign-task-new", args=[campaign.pk])
    for unit in units:
        for p in problems.get(unit.pk, []):
            task = open_tasks.get((unit.pk, p.key))
            if task is not None:
                action = Link(
                    f"{task.get_state_display()}（{task.due_date.isoformat()}）",
                    reverse("rectification-detail", args=[task.pk]),
                )
            elif may_task:
                action = Link(_("Make a task"), f"{url}?institution={unit.org_code}&key={p.key}")
            else:
                action = ""
            sheet.rows.append([unit.region_label, unit.name, p.kind_label, p.label, action])
    return sheet


def dimensions_sheet(campaign: Campaign, units) -> Sheet:
    """Each unit's rate in every targeted dimension, before the campaign and in it."""
    thresholds = campaign.thresholds()
    names = dict(Dimension.choices)
    before_window, window = baseline_window(campaign), campaign_window(campaign)
    before = quality_values(
        institutions=units, platform=campaign.platform, start=before_window[0], end=before_window[1]
    )
    after = quality_values(
        institutions=units, platform=campaign.platform, start=window[0], end=window[1]
    )
    headers = [_("Region"), _("Unit")]
    for d, threshold in thresholds.items():
        headers += [
            _("%(dimension)s before (%%)") % {"dimension": names[d]},
            _("%(dimension)s now (%%, threshold %(threshold)s)")
            % {"dimension": names[d], "threshold": threshold_text(threshold)},
        ]
    sheet = Sheet(
        "dimensions",
        _("Units by dimension, before and now"),
        headers,
        numeric=frozenset(range(2, len(headers))),
    )
    for unit in units:
        row = [unit.region_label, unit.name]
        for d in thresholds:
            row += [
                before[unit.pk].rate(d) if unit.pk in before else None,
                after[unit.pk].rate(d) if unit.pk in after else None,
            ]
        sheet.rows.append(row)
    return sheet


def tasks_sheet(links, today: dt.date) -> Sheet:
    sheet = Sheet(
        "tasks",
        _("Campaign tasks"),
        [_("Unit"), _("Problem"), _("Due date"), _("State"), _("Closes itself")],
        empty_text=_("No task yet: make one from the problem list."),
    )
    for link in links:
        task = link.task
        state = task.get_state_display()
        if task.state != TaskState.ACCEPTED and task.due_date < today:
            state = f"{state}（{_('Overdue')}）"
        sheet.rows.append(
            [
                task.institution.name,
                Link(task.problem, reverse("rectification-detail", args=[task.pk])),
                task.due_date,
                state,
                _("Yes") if link.closes_itself else _("No"),
            ]
        )
    return sheet


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    user = request.user
    today = timezone.localdate()
    units = units_in_scope(user, campaign)
    window = campaign_window(campaign)
    problems = campaign_problems(campaign, units, window)
    kind = request.GET.get("kind", "")
    if kind and kind not in ProblemKind.values:
        raise InvalidParameter(_("“%(kind)s” is not a kind of problem.") % {"kind": kind[:40]})
    counts = Counter(p.kind for found in problems.values() for p in found)
    units_with_problems = len(problems)
    if kind:
        problems = {unit: [p for p in found if p.kind == kind] for unit, found in problems.items()}
    officer = user.is_officer or (user.is_superuser and not user.role)
    links = list(
        campaign_tasks_for(user)
        .filter(campaign=campaign)
        .select_related("task__institution")
        .order_by("task__due_date", "task_id")
    )
    sheets = [
        problems_sheet(problems, units, officer, campaign, links),
        dimensions_sheet(campaign, units),
        tasks_sheet(links, today),
    ]
    export = sheet_export(request, sheets, f"campaign-{campaign.pk}", campaign.name)
    if export:
        return export
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "window": window,
            "before": baseline_window(campaign),
            "thresholds": [
                (dict(Dimension.choices)[d], threshold_text(t))
                for d, t in campaign.thresholds().items()
            ],
            "units": units,
            "problem_count": sum(counts.values()),
            "units_with_problems": units_with_problems,
            "kinds": [(k, label, counts[k]) for k, label in ProblemKind.choices if counts[k]],
            "kind": kind,
            "progress": campaign_progress(user, campaign, today),
            "sheets": sheets,
            "inspections": inspections_for(user)
            .filter(campaign=campaign)
            .select_related("institution", "region"),
            "may_manage": may_manage(user, campaign),
            "may_task": officer,
        },
    )


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    user = request.user
    if not may_run_campaigns(user) or (campaign is not None and not may_manage(user, campaign)):
        raise Http404(_("Page not found."))
    instance = campaign or Campaign(region_id=user.region_id)
    form = CampaignForm(
        request.POST or None,
        instance=instance,
        regions=regions_for(user),
        institutions=institutions_for(user),
        platforms=platforms_for(user),
    )
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        try:
            saved = campaign_save(user=user, campaign=obj, units=list(form.cleaned_data["units"]))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("campaign-detail", pk=saved.pk)
    return render(request, "campaigns/form.html", {"form": form, "campaign": campaign})


@login_required
@accepts("POST")
def campaign_new(request: HttpRequest) -> HttpResponse:
    return _campaign_form(request, None)


@login_required
@accepts("POST")
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_form(request, _campaign(request, pk))


def _inspection_form(request: HttpRequest, campaign: Campaign, inspection: Inspection | None):
    if not may_manage(request.user, campaign):
        raise Http404(_("Page not found."))
    form = InspectionForm(
        request.POST or None,
        instance=inspection or Inspection(campaign=campaign),
        campaign=campaign,
        regions=regions_for(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            inspection_save(user=request.user, inspection=form.save(commit=False))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Inspection saved."))
            return redirect("campaign-detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/inspection_form.html",
        {"form": form, "campaign": campaign, "inspection": inspection},
    )


@login_required
@accepts("POST")
def inspection_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _inspection_form(request, _campaign(request, pk), None)


@login_required
@accepts("POST")
def inspection_edit(request: HttpRequest, pk: int, inspection_pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    inspection = get_object_or_404(
        inspections_for(request.user).filter(campaign=campaign), pk=inspection_pk
    )
    return _inspection_form(request, campaign, inspection)


@login_required
@accepts("POST")
def task_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A task from a problem of the list (`key`), or from an inspection's finding
    (`inspection`): the problem named, the requirement and due date to give."""
    campaign = _campaign(request, pk)
    user = request.user
    if not (user.is_officer or (user.is_superuser and not user.role)):
        raise PermissionDenied
    units = units_in_scope(user, campaign)
    source = request.POST if request.method == "POST" else request.GET
    inspection = None
    if source.get("inspection"):
        inspection = get_object_or_404(
            inspections_for(user).filter(campaign=campaign), pk=source["inspection"]
        )
    initial = {
        "institution": source.get("institution", ""),
        "key": source.get("key", ""),
        "due_date": timezone.localdate() + dt.timedelta(days=30),
    }
    if inspection is not None:
        initial["finding"] = inspection.findings
        if inspection.institution_id:
            initial["institution"] = inspection.institution.org_code
    form = ProblemTaskForm(request.POST or None, units=units, initial=initial)
    problem = None
    unit = units.filter(org_code=source.get("institution", "")).first()
    if unit is not None and source.get("key") and inspection is None:
        problem = next(
            (
                p
                for p in campaign_problems(campaign, units.filter(pk=unit.pk)).get(unit.pk, [])
                if p.key == source["key"]
            ),
            None,
        )
        if problem is None:
            messages.error(request, _("The figures no longer show this problem."))
            return redirect("campaign-detail", pk=campaign.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if problem is None and inspection is not None:
            if data["finding"].strip():
                problem = finding_problem(inspection, data["institution"], data["finding"])
            else:
                form.add_error("finding", _("Describe the problem."))
        elif problem is None:
            form.add_error(None, _("Choose a problem of the list or an inspection."))
        if problem is not None:
            try:
                task = campaign_task_open(
                    user=user,
                    campaign=campaign,
                    problem=problem,
                    requirement=data["requirement"],
                    due_date=data["due_date"],
                    inspection=inspection,
                )
            except (ValidationError, PermissionDenied) as exc:
                for message in getattr(exc, "messages", [str(exc)]):
                    form.add_error(None, message)
            else:
                messages.success(request, _("Rectification task opened."))
                return redirect("rectification-detail", pk=task.pk)
    return render(
        request,
        "campaigns/task_form.html",
        {
            "form": form,
            "campaign": campaign,
            "problem": problem,
            "inspection": inspection,
            "title": pgettext("campaign", "New task"),
        },
    )
