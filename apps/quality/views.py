"""数据质量: the data quality of the user's scope for a period — each institution's
dimension rates and score, the scope's own, and the rules that fail most — on a
page and in Excel from the same sheets. Figures from apps.metrics.quality."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from apps.accounts.scoping import institutions_for, regions_for
from apps.core.sheets import sheet_export
from apps.metrics.figures import period_heading
from apps.metrics.quality import DIMENSIONS, quality_total, quality_values
from apps.web.context import navigation, no_data_page, resolve_request

from .models import Dimension, QualityRule
from .tables import institutions_sheet, rules_sheet


@login_required
def quality(request: HttpRequest) -> HttpResponse:
    platform, period = resolve_request(request)
    if platform is None:
        raise Http404(_("No platform is set up yet."))
    empty = no_data_page(request, platform, period)
    if empty:
        return empty
    institutions = institutions_for(request.user)
    region = None
    if request.GET.get("region"):
        region = get_object_or_404(regions_for(request.user), code=request.GET["region"])
        institutions = institutions.filter(region__path__startswith=region.path)
    values = quality_values(
        institutions=institutions, platform=platform, start=period.start, end=period.end
    )
    insts = list(institutions.filter(pk__in=values).select_related("region"))
    total = quality_total(list(values.values()))
    sheets = [
        institutions_sheet([(i, values[i.pk]) for i in insts], period, platform),
        rules_sheet(total, platform),
    ]
    scope = region.name if region else platform.region.name
    heading = _("%(scope)s data quality (%(period)s)") % {
        "scope": scope,
        "period": period_heading(platform, period),
    }
    export = sheet_export(request, sheets, f"quality-{period.key}", heading)
    if export:
        return export
    labels = dict(Dimension.choices)
    return render(
        request,
        "quality/quality.html",
        {
            "nav": navigation(request, platform, period),
            "heading": heading,
            "region": region,
            "regions": regions_for(request.user),
            "summary": [(labels[d], total.rate(d)) for d in DIMENSIONS],
            "total": total,
            "sheets": sheets,
            "has_rules": QualityRule.objects.filter(platform=platform).exists(),
        },
    )
