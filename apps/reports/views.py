"""The year-end assessment (互联互通度): the institutions of a region ranked by
score for a year, on a page and as an Excel workbook from the same table. Scores
and ranks come from the metrics module.

统计报表: a report of any scope and period in the columns an officer picks from
every figure and indicator, ordered by any of them, with a total row; saved as a
named layout to reuse; as Excel and as an official-format PDF. Everything a user
reaches goes through the scoping functions; a hospital user has no report page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.scoping import (
    institutions_for,
    ordered_platforms,
    regions_for,
    report_layouts_for,
    saves_report_layouts,
)
from apps.core.errors import InvalidParameter
from apps.core.methods import accepts
from apps.core.sheets import Link, Sheet, sheet_export, xlsx_response
from apps.indicators.models import Indicator
from apps.institutions.models import Institution
from apps.metrics.figures import data_span, period_figures, period_heading, rank_by_score
from apps.metrics.periods import Period, PeriodInvalid, check_year
from apps.web.context import navigation, no_data_page, resolve_request

from .columns import (
    FIGURE_COLUMNS,
    available_columns,
    build_report,
    columns_of,
    report_heading,
)
from .forms import LayoutSaveForm
from .models import ReportLayout
from .operations import BUILDERS, PAGES
from .services import layout_delete, layout_save


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
    platforms = ordered_platforms(request.user)
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
        "period": period_heading(context["platform"], context["period"]),
    }
    return xlsx_response([context["sheet"]], f"assessment-{context['period'].key}.xlsx", heading)


# ---------------------------------------------------------------------------
# 统计报表
# ---------------------------------------------------------------------------

DEFAULT_LAYOUT = "省平台数据上传情况（江苏简报样式）"


def _layout(request: HttpRequest, layouts) -> ReportLayout | None:
    text = request.GET.get("layout")
    if text is None:
        return layouts.filter(builtin=True, name=DEFAULT_LAYOUT).first() or layouts.first()
    if not text:
        return None
    if not text.isdigit():
        raise Http404(_("No such layout."))
    return get_object_or_404(layouts, pk=int(text))


def _chosen(request: HttpRequest, layout: ReportLayout | None):
    """The column keys, order and direction: the request's where it gives them
    (a picked set of columns), else the layout's."""
    picked = [k for value in request.GET.getlist("columns") for k in value.split(",") if k]
    keys = picked or (layout.columns if layout else ["records", "upload_days"])
    order = request.GET.get("order", layout.order if layout and not picked else "records")
    if "desc" in request.GET:
        descending = request.GET["desc"] != "0"
    else:
        descending = layout.descending if layout else True
    return keys, order, descending, bool(picked)


def _report_context(request: HttpRequest):
    if request.user.role == User.Role.HOSPITAL:
        raise Http404(_("Page not found."))
    platform, period = resolve_request(request)
    if platform is None:
        raise Http404(_("No platform is set up yet."))
    institutions = institutions_for(request.user)
    region = None
    if request.GET.get("region"):
        region = get_object_or_404(regions_for(request.user), code=request.GET["region"])
        institutions = institutions.filter(region__path__startswith=region.path)
    category = request.GET.get("category") or ""
    if category:
        if category not in Institution.Category.values:
            raise InvalidParameter(
                _("“%(category)s” is not an institution category.") % {"category": category[:40]}
            )
        institutions = institutions.filter(category=category)
    layouts = report_layouts_for(request.user)
    layout = _layout(request, layouts)
    keys, order, descending, picked = _chosen(request, layout)
    indicators = list(Indicator.objects.all())
    available = available_columns(indicators)
    columns, unknown = columns_of(keys, available)
    if order and order not in {c.key for c in columns}:
        order = ""
    report = build_report(
        institutions=institutions,
        platform=platform,
        start=period.start,
        end=period.end,
        columns=columns,
        order=order or None,
        descending=descending,
    )
    title = (layout.title if layout and layout.title and not picked else "") or _("Data upload")
    scope = region.name if region else platform.region.name
    heading = report_heading(scope, title, period_heading(platform, period))
    sheet = report.sheet("report", heading)
    return {
        "platform": platform,
        "period": period,
        "region": region,
        "regions": regions_for(request.user),
        "category": category,
        "categories": Institution.Category.choices,
        "layouts": list(layouts),
        "layout": layout,
        "picked": picked,
        "keys": [c.key for c in columns],
        "unknown": unknown,
        "order": order,
        "descending": descending,
        "figure_columns": [c for c in available if c.key in FIGURE_COLUMNS],
        "quality_columns": [c for c in available if c.total == "quality"],
        "indicator_groups": [
            (i, [c for c in available if c.indicator == i.code]) for i in indicators
        ],
        "order_columns": columns,
        "report": report,
        "sheet": sheet,
        "heading": heading,
        "title": title,
        "scope": scope,
    }


def _query(context, saved: ReportLayout | None = None, **extra) -> str:
    """The report's own query string (to its PDF, its Excel, or, after saving, the
    saved layout)."""
    params = {"platform": context["platform"].code, "period": context["period"].key}
    if context["region"]:
        params["region"] = context["region"].code
    if context["category"]:
        params["category"] = context["category"]
    if saved is not None:
        params["layout"] = saved.pk
    else:
        params["layout"] = context["layout"].pk if context["layout"] else ""
        params["order"] = context["order"]
        params["desc"] = "1" if context["descending"] else "0"
        if context["picked"]:
            params["columns"] = ",".join(context["keys"])
    params.update(extra)
    return urlencode(params)


@login_required
@accepts("POST")
def report(request: HttpRequest) -> HttpResponse:
    context = _report_context(request)
    empty = no_data_page(request, context["platform"], context["period"])
    if empty:
        return empty
    may_save = saves_report_layouts(request.user)
    form = LayoutSaveForm(
        request.POST if request.method == "POST" and request.POST.get("action") == "save" else None,
        initial={"title": context["title"]},
    )
    if request.method == "POST":
        if not may_save:
            raise Http404(_("Page not found."))
        action = request.POST.get("action")
        if action == "save" and form.is_valid():
            saved = _save_layout(request, context, form.cleaned_data)
            messages.success(request, _("Layout “%(name)s” saved.") % {"name": saved.name})
            return redirect(f"{reverse('report')}?{_query(context, saved=saved)}")
        if action == "delete":
            _delete_layout(request, context)
            messages.success(request, _("The layout is deleted."))
            return redirect(f"{reverse('report')}?{_query(context, layout='')}")
    export = sheet_export(
        request, [context["sheet"]], f"report-{context['period'].key}", context["heading"]
    )
    if export:
        return export
    if request.GET.get("format") == "pdf":
        return _pdf(request, context)
    return render(
        request,
        "reports/report.html",
        {
            **context,
            "nav": navigation(request, context["platform"], context["period"]),
            "form": form,
            "may_save": may_save,
            "pdf_query": _query(context, format="pdf"),
            "export_query": _query(context, export="report"),
        },
    )


def _save_layout(request: HttpRequest, context, data) -> ReportLayout:
    return layout_save(
        user=request.user,
        name=data["name"],
        title=data["title"],
        columns=context["keys"],
        order=context["order"],
        descending=context["descending"],
    )


def _delete_layout(request: HttpRequest, context) -> None:
    layout = context["layout"]
    own_region = request.user.region if request.user.role else None
    if layout is None or layout.builtin or layout.region != own_region:
        raise Http404(_("No such layout."))
    layout_delete(user=request.user, layout=layout)


def _pdf(request: HttpRequest, context) -> HttpResponse:
    from apps.bulletins.pdf import html_to_pdf

    html = render_to_string(
        "reports/pdf.html",
        {
            **context,
            "generated": timezone.localtime(),
            "by": request.user.label,
        },
    )
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{context["period"].key}.pdf"'
    return response


@login_required
def operations(request: HttpRequest, page: str) -> HttpResponse:
    """业务运行: appointments by channel, telemedicine or kiosks of the user's scope
    for the period, with the chart, the figures beside it and the Excel."""
    if page not in BUILDERS:
        raise Http404(_("Page not found."))
    if request.user.role == User.Role.HOSPITAL:
        raise Http404(_("Page not found."))
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
    result = BUILDERS[page](
        institutions=institutions, platform=platform, start=period.start, end=period.end
    )
    scope = region.name if region else platform.region.name
    heading = f"{scope} {result.title}（{period_heading(platform, period)}）"
    export = sheet_export(request, [result.sheet], f"{page}-{period.key}", heading)
    if export:
        return export
    return render(
        request,
        "reports/operations.html",
        {
            "nav": navigation(request, platform, period),
            "page": page,
            "pages": [(key, title) for key, (title, _codes) in PAGES.items()],
            "tab_query": urlencode(
                {
                    "platform": platform.code,
                    "period": period.key,
                    **({"region": region.code} if region else {}),
                }
            ),
            "result": result,
            "heading": heading,
            "region": region,
            "regions": regions_for(request.user),
            "charts": [{"id": result.sheet.key, **result.chart}],
        },
    )
