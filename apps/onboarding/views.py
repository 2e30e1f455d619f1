"""Onboarding pages: a platform's build-out phases with their coverage, a phase's
table of its institutions in scope with each step's date, the counts per region,
their Excel export, and the per-institution edit page (404 outside the user's
scope)."""

from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.scoping import institutions_for, ordered_platforms, platforms_for, regions_for
from apps.core.methods import accepts, post_only
from apps.core.sheets import xlsx_response
from apps.metrics.phases import phase_coverage
from apps.web.context import resolve_request

from .forms import PlanForm, StepDatesForm
from .models import DEFAULT_STEPS, OnboardingPlan, StepCompletion
from .selectors import onboarding_table, progress_by_region
from .services import (
    may_edit_onboarding,
    may_plan_onboarding,
    plan_create,
    plan_delete,
    plan_has_history,
    step_set_date,
)
from .tables import (
    group_header,
    institution_sheet,
    not_done_sheet,
    phase_sheet,
    region_sheet,
)


def _is_officer(user: User) -> bool:
    return user.is_officer


@login_required
def onboarding(request: HttpRequest) -> HttpResponse:
    platform, _period = resolve_request(request)
    if platform is None:
        return render(request, "web/empty.html")
    region = None
    if request.GET.get("region"):
        region = get_object_or_404(regions_for(request.user), code=request.GET["region"])
    plans = list(OnboardingPlan.objects.filter(platform=platform))
    # The phase asked for, or the platform's first (a phase of another platform,
    # left in the query when the platform is switched, falls back to it too).
    wanted = request.GET.get("phase", "")
    plan = next((p for p in plans if str(p.pk) == wanted), plans[0] if plans else None)
    today = timezone.localdate()
    coverage = phase_coverage(
        institutions=institutions_for(request.user).filter(active=True),
        platform=platform,
        day=today,
    )
    context = {
        "platform": platform,
        "platforms": ordered_platforms(request.user),
        "plans": plans,
        "plan": plan,
        "coverage": phase_sheet(coverage) if coverage else None,
        "region": region,
        "regions": regions_for(request.user),
        "not_done_only": bool(request.GET.get("not_done")),
        "may_plan": may_plan_onboarding(request.user, platform),
        "plan_form": PlanForm(),
        "default_steps": DEFAULT_STEPS,
    }
    if plan is not None:
        context["may_delete"] = context["may_plan"] and not plan_has_history(plan)
        table = onboarding_table(request.user, plan, region=region)
        progress = progress_by_region(table)
        if context["not_done_only"]:
            table = dataclasses.replace(table, rows=[r for r in table.rows if not r.done])
        sheets = {
            "institutions": institution_sheet(table, links=_is_officer(request.user)),
            "not_done": not_done_sheet(table),
            "regions": region_sheet(progress, group_header(table)),
        }
        if coverage:
            sheets["phases"] = context["coverage"]
        export = request.GET.get("export")
        if export:
            if export not in sheets:
                raise Http404
            return xlsx_response(
                [sheets[export]],
                f"onboarding-{platform.code}-{export}-{table.today:%Y%m%d}.xlsx",
                heading=_("%(platform)s · %(phase)s · go-live deadline %(deadline)s")
                % {
                    "platform": platform.name,
                    "phase": plan.name,
                    "deadline": plan.deadline.isoformat(),
                },
            )
        context.update(
            {
                "table": table,
                "institutions": sheets["institutions"],
                "by_region": sheets["regions"],
                "not_done": sum(p.not_done for p in progress),
                "late": table.late,
            }
        )
    return render(request, "onboarding/onboarding.html", context)


@login_required
@post_only
def plan_new(request: HttpRequest, platform_code: str) -> HttpResponse:
    """A new phase on a platform the user manages (any other answers 404)."""
    platform = get_object_or_404(platforms_for(request.user, manage=True), code=platform_code)
    form = PlanForm(request.POST)
    query = f"?platform={platform.code}"
    if not form.is_valid():
        messages.error(request, _("Enter the phase's name and a valid go-live deadline."))
    else:
        try:
            plan = plan_create(platform=platform, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Build-out phase created."))
            query += f"&phase={plan.pk}"
    return redirect(f"{reverse('onboarding')}{query}")


@login_required
@accepts("POST")
def plan_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a phase of a platform the user manages while nothing was recorded
    against it, after asking on its own page (any other phase answers 404)."""
    plan = get_object_or_404(
        OnboardingPlan.objects.filter(
            platform__in=platforms_for(request.user, manage=True)
        ).select_related("platform"),
        pk=pk,
    )
    back = f"{reverse('onboarding')}?platform={plan.platform.code}&phase={plan.pk}"
    history = plan_has_history(plan)
    if request.method == "POST" and request.POST.get("confirm") == "yes" and not history:
        try:
            plan_delete(plan=plan, user=request.user)
        except ValidationError as exc:  # a step dated meanwhile
            for message in exc.messages:
                messages.error(request, message)
            return redirect(back)
        messages.success(request, _("Build-out phase “%(name)s” deleted.") % {"name": plan.name})
        return redirect(f"{reverse('onboarding')}?platform={plan.platform.code}")
    return render(
        request,
        "onboarding/confirm_delete.html",
        {
            "plan": plan,
            "history": history,
            "targets": plan.targets.count(),
            "back": back,
        },
    )


@login_required
@accepts("POST")
def institution_edit(request: HttpRequest, pk: int, org_code: str) -> HttpResponse:
    institution = get_object_or_404(institutions_for(request.user), org_code=org_code)
    plan = get_object_or_404(
        OnboardingPlan.objects.filter(platform__in=platforms_for(request.user)), pk=pk
    )
    if plan.targets.exists() and not plan.targets.filter(institution=institution).exists():
        raise Http404  # not a target of this phase
    if not may_edit_onboarding(request.user, institution):
        raise PermissionDenied
    steps = list(plan.steps.all())
    current = {
        c.step_id: c
        for c in StepCompletion.objects.filter(
            institution=institution, step__plan=plan
        ).select_related("entered_by")
    }
    initial = {f"step_{s.pk}": current[s.pk].done_on for s in steps if s.pk in current}
    form = StepDatesForm(request.POST or None, steps=steps, initial=initial)
    if request.method == "POST" and form.is_valid():
        today = timezone.localdate()
        for step, day in form.dates():
            if day is not None and day > today:
                form.add_error(f"step_{step.pk}", _("A step cannot be done in the future."))
        if form.is_valid():
            for step, day in form.dates():
                before = current.get(step.pk)
                if (before.done_on if before else None) != day:
                    step_set_date(
                        user=request.user, institution=institution, step=step, done_on=day
                    )
            messages.success(request, _("Onboarding dates saved."))
            return redirect(
                f"{reverse('onboarding')}?platform={plan.platform.code}&phase={plan.pk}"
            )
    return render(
        request,
        "onboarding/institution_edit.html",
        {"institution": institution, "plan": plan, "form": form, "current": current},
    )
