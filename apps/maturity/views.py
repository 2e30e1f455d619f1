"""测评等级: every unit's level per scheme, counted by region and level, the units
below their target (and those past its deadline), on a page and in Excel; the form
officers record results with. Scoped through `assessments_for`."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.scoping import assessments_for, institutions_for
from apps.core.errors import InvalidParameter
from apps.core.methods import accepts
from apps.core.sheets import Link, Mark, Sheet, sheet_export

from .forms import AssessmentForm
from .models import LEVELS, Assessment, Scheme
from .selectors import current_assessments
from .services import AssessmentRefused, assessment_save


def counts_sheet(current: list[Assessment], scheme: str) -> Sheet:
    levels = LEVELS[scheme]
    by_region: dict[str, Counter] = defaultdict(Counter)
    for a in current:
        by_region[a.institution.region_label][a.level] += 1
    sheet = Sheet(
        "levels",
        _("Units by region and level"),
        [_("Region"), *[str(label) for _code, label in levels], _("Total")],
        numeric=frozenset(range(1, len(levels) + 2)),
        empty_text=_("No result of this scheme is recorded."),
    )
    totals = Counter()
    for region, counts in by_region.items():
        sheet.rows.append([region, *[counts[c] for c, _l in levels], sum(counts.values())])
        totals.update(counts)
    if by_region:
        sheet.rows.append([_("Total"), *[totals[c] for c, _l in levels], sum(totals.values())])
        sheet.row_classes = [""] * len(by_region) + ["report-total"]
    return sheet


def units_sheet(current: list[Assessment], today, may_edit: bool) -> Sheet:
    sheet = Sheet(
        "units",
        _("Units and their levels"),
        [
            _("Region"),
            _("Unit"),
            _("Level"),
            _("Year"),
            _("Certificate or notice number"),
            _("Target level"),
            _("Target deadline"),
            _("Against the target"),
        ],
        empty_text=_("No result of this scheme is recorded."),
    )
    for a in current:
        if a.below_target and a.target_deadline and a.target_deadline < today:
            standing = Mark(_("Past the deadline"), "badge text-bg-danger")
        elif a.below_target:
            standing = Mark(_("Below target"), "badge text-bg-warning")
        elif a.target_level:
            standing = Mark(_("Target reached"), "badge text-bg-success")
        else:
            standing = ""
        level = a.get_level_display()
        sheet.rows.append(
            [
                a.institution.region_label,
                Link(
                    a.institution.name, reverse("institution-detail", args=[a.institution.org_code])
                ),
                Link(level, reverse("maturity-edit", args=[a.pk])) if may_edit else level,
                str(a.year),
                a.certificate,
                a.get_target_level_display() if a.target_level else "",
                a.target_deadline,
                standing,
            ]
        )
    return sheet


def _may_edit(user) -> bool:
    return (user.is_superuser and not user.role) or user.is_commission


@login_required
def maturity(request: HttpRequest) -> HttpResponse:
    if request.user.role == "hospital":
        raise Http404(_("Page not found."))
    scheme = request.GET.get("scheme") or Scheme.HOSPITAL
    if scheme not in Scheme.values:
        raise InvalidParameter(
            _("“%(scheme)s” is not an assessment scheme.") % {"scheme": scheme[:40]}
        )
    current = [a for a in current_assessments(assessments_for(request.user)) if a.scheme == scheme]
    may_edit = _may_edit(request.user)
    sheets = [counts_sheet(current, scheme), units_sheet(current, timezone.localdate(), may_edit)]
    heading = _("Maturity levels: %(scheme)s") % {"scheme": Scheme(scheme).label}
    export = sheet_export(request, sheets, f"maturity-{scheme}", heading)
    if export:
        return export
    below = [a for a in current if a.below_target]
    return render(
        request,
        "maturity/list.html",
        {
            "scheme": scheme,
            "schemes": Scheme.choices,
            "sheets": sheets,
            "below": len(below),
            "overdue": sum(
                1 for a in below if a.target_deadline and a.target_deadline < timezone.localdate()
            ),
            "units": len(current),
            "may_edit": may_edit,
        },
    )


def _form_page(request: HttpRequest, assessment: Assessment | None) -> HttpResponse:
    if not _may_edit(request.user):
        raise Http404(_("Page not found."))
    institutions = institutions_for(request.user)
    if assessment is not None:
        initial = {
            "institution": assessment.institution,
            "scheme": assessment.scheme,
            "level": assessment.level,
            "year": assessment.year,
            "certificate": assessment.certificate,
            "target_level": assessment.target_level,
            "target_deadline": assessment.target_deadline,
        }
    else:
        initial = {"year": timezone.localdate().year}
        org = request.GET.get("institution")
        if org:
            initial["institution"] = get_object_or_404(institutions, org_code=org)
    form = AssessmentForm(request.POST or None, initial=initial, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            saved = assessment_save(user=request.user, assessment=assessment, **data)
        except AssessmentRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                _("%(unit)s: %(level)s recorded.")
                % {"unit": saved.institution.name, "level": saved.get_level_display()},
            )
            return redirect(f"{reverse('maturity')}?scheme={saved.scheme}")
    return render(request, "maturity/form.html", {"form": form, "assessment": assessment})


@login_required
@accepts("POST")
def maturity_new(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@login_required
@accepts("POST")
def maturity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, get_object_or_404(assessments_for(request.user), pk=pk))
