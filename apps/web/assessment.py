"""The year-end assessment (互联互通度): the institutions of a region ranked by
score for a year, on a page and as an Excel workbook. Scores and ranks come from
the metrics module."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from apps.accounts.models import User
from apps.accounts.scoping import institutions_for, platforms_for, regions_for
from apps.core.sheets import safe_text
from apps.metrics.figures import data_span, period_figures, rank_by_score
from apps.metrics.periods import Period


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
    if not year_text.isdigit() or len(year_text) != 4:
        raise Http404
    period = Period.year(int(year_text))
    figures = period_figures(
        institutions=institutions, platform=platform, start=period.start, end=period.end
    )
    return {
        "platform": platform,
        "platforms": platforms,
        "period": period,
        "years": years,
        "region": region,
        "regions": regions_for(request.user),
        "ranked": rank_by_score(figures.rows),
        "definitions": figures.definitions,
    }


@login_required
def assessment(request: HttpRequest) -> HttpResponse:
    return render(request, "web/assessment.html", _assessment(request))


@login_required
def assessment_xlsx(request: HttpRequest) -> HttpResponse:
    context = _assessment(request)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Assessment")
    sheet.append(
        [
            safe_text(
                _("%(platform)s · %(period)s · assessment score")
                % {"platform": context["platform"].name, "period": context["period"].label}
            )
        ]
    )
    sheet["A1"].font = Font(bold=True, size=13)
    headers = [
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
    ]
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for rank, row in context["ranked"]:
        inst = row.institution
        sheet.append(
            [
                rank,
                safe_text(inst.region_label),
                safe_text(inst.org_code),
                safe_text(inst.name),
                inst.get_category_display(),
                str(row.connection_status_label),
                float(row.completeness) if row.completeness is not None else None,
                row.records,
                float(row.volume_factor) if row.volume_factor is not None else None,
                float(row.score) if row.score is not None else None,
            ]
        )
    for index, width in enumerate([6, 10, 14, 28, 12, 14, 12, 14, 10, 10], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="assessment-{context["period"].key}.xlsx"'
    )
    return response
