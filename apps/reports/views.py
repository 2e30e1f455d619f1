"""The year-end assessment (互联互通度): the institutions of a region ranked by
score for a year, on a page and as an Excel workbook from the same table. Scores
and ranks come from the metrics module."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.scoping import institutions_for, platforms_for, regions_for
from apps.core.errors import InvalidParameter
from apps.core.sheets import Link, Sheet, xlsx_response
from apps.metrics.figures import data_span, period_figures, rank_by_score
from apps.metrics.periods import Period, PeriodInvalid, check_year


def assessment_sheet(ranked, period: Period, platform) -> Sheet:
    query = urlencode({"period": period.key, "platform": platform.code})
    sheet = Sheet(
        "assessment",
        _("Assessment"),
        [
            _("Rank"),
            _("Region"),
            _("Institution code"),
            _("Institution"),
            _("Category"),
            _("Connection status"),
            _("Completeness (%)"),
            _("Records uploaded"),
            _("Volume factor"),
            _("Score"),
        ],
        numeric=frozenset({0, 6, 7, 8, 9}),
    )
    for rank, row in ranked:
        inst = row.institution
        url = reverse("institution-detail", args=[row.org_code])
        sheet.rows.append(
            [
                rank,
                inst.region_label,
                inst.org_code,
                Link(inst.name, f"{url}?{query}"),
                inst.get_category_display(),
                row.connection_status_label,
                row.completeness,
                row.records,
                row.volume_factor,
                row.score,
            ]
        )
    return sheet


def _assessment(request: HttpRequest):
    if request.user.role == User.Role.HOSPITAL:
        raise Http404
    platforms = list(platforms_for(request.user).order_by("code"))
    if not platforms:
        raise Http404
    code = request.GET.get("platform")
    platform = next((p for p in platforms if p.code == code), None) if code else platforms[0]
    if platform is None:
        raise Http404
    institutions = institutions_for(request.user)
    region = None
    if request.GET.get("region"):
        region = get_object_or_404(regions_for(request.user), code=request.GET["region"])
        institutions = institutions.filter(region__path__startswith=region.path)
    first, last = data_span(platform, institutions_for(request.user))
    years = list(
        range((last or timezone.localdate()).year, (first or timezone.localdate()).year - 1, -1)
    )
    year_text = request.GET.get("year") or str(years[0])
    if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
        raise InvalidParameter(
            _("“%(year)s” is not a year: write it with four digits, e.g. 2023.")
            % {"year": year_text[:20]}
        )
    try:
        check_year(int(year_text))
    except PeriodInvalid as exc:
        raise InvalidParameter(str(exc)) from None
    period = Period.year(int(year_text))
    figures = period_figures(
        institutions=institutions, platform=platform, start=period.start, end=period.end
    )
    ranked = rank_by_score(figures.rows)
    return {
        "platform": platform,
        "platforms": platforms,
        "period": period,
        "years": years,
        "region": region,
        "regions": regions_for(request.user),
        "ranked": ranked,
        "sheet": assessment_sheet(ranked, period, platform),
        "definitions": figures.definitions,
    }


@login_required
def assessment(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/assessment.html", _assessment(request))


@login_required
def assessment_xlsx(request: HttpRequest) -> HttpResponse:
    context = _assessment(request)
    heading = _("%(platform)s · %(period)s · assessment score") % {
        "platform": context["platform"].name,
        "period": context["period"].label,
    }
    return xlsx_response([context["sheet"]], f"assessment-{context['period'].key}.xlsx", heading)
