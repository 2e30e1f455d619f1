"""The indicator catalogue: the built-in indicators of metrics.md and those officers
add (city officers and superusers; everyone else reads it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.accounts.scoping import may_import
from apps.core.methods import accepts
from apps.core.sheets import Mark, Sheet, sheet_export

from .forms import IndicatorForm
from .models import Indicator


def catalogue_sheet(indicators) -> Sheet:
    sheet = Sheet(
        "indicators",
        _("Indicator catalogue"),
        [_("Indicator code"), _("Indicator name"), _("Unit"), _("Kind"), _("Group"), _("Origin")],
    )
    for i in indicators:
        sheet.rows.append(
            [
                Mark(i.code, "font-monospace"),
                i.name,
                i.unit or None,
                i.get_kind_display(),
                i.group or None,
                _("Built in") if i.builtin else _("Added by the commission"),
            ]
        )
    return sheet


@login_required
@accepts("POST")
def indicator_list(request: HttpRequest) -> HttpResponse:
    if request.user.role == "hospital":
        raise Http404
    may_add = may_import(request.user)
    form = IndicatorForm(request.POST or None)
    if request.method == "POST":
        if not may_add:
            raise Http404
        if form.is_valid():
            # A page, above the pull: values a platform sent for this code before
            # the catalogue had it are stored now.
            from apps.ingestion.review import unknown_indicator_add

            indicator, stored = unknown_indicator_add(user=request.user, **form.cleaned_data)
            if stored:
                messages.success(
                    request,
                    _("Indicator %(name)s added: %(n)d waiting values stored.")
                    % {"name": indicator.name, "n": stored},
                )
            else:
                messages.success(request, _("Indicator %(name)s added.") % {"name": indicator.name})
            return redirect("indicator-list")
    sheet = catalogue_sheet(Indicator.objects.all())
    export = sheet_export(request, [sheet], "indicators")
    if export:
        return export
    return render(
        request,
        "indicators/list.html",
        {"sheet": sheet, "form": form if may_add else None},
    )
