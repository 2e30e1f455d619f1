"""Server-rendered pages. Each view parses the request, asks the metrics module
for figures over a scoped queryset and renders them; nothing is counted here."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from apps.accounts.models import User
from apps.accounts.scoping import (
    assessments_for,
    connection_changes_for,
    connections_for,
    institutions_for,
    regions_for,
)
from apps.alerts.models import DEFAULT_SILENT_AFTER_DAYS
from apps.alerts.services import silent_after_days
from apps.core.sheets import Bar, Mark, Sheet, sheet_export, sheet_from_table, xlsx_response
from apps.ingestion.health import night_problems
from apps.institutions.models import Institution
from apps.maturity.selectors import current_assessments
from apps.metrics.anomalies import baseline_note, volume_anomalies
from apps.metrics.definitions import DEFAULT
from apps.metrics.figures import (
    Tier,
    institution_days,
    institution_standing,
    institution_tables,
    period_figures,
    period_heading,
    table_adoption,
)
from apps.metrics.help import figure_help
from apps.metrics.quality import quality_values
from apps.platforms.models import ConnectionStatus
from apps.quality.models import Dimension, QualityRule
from apps.quality.tables import rules_sheet
from apps.regions.models import Region

from .breakdown import breakdown_sheet, region_breakdown, unconnected_sheet
from .context import (
    navigation,
    no_data_page,
    period_has_data,
    request_platforms,
    resolve_request,
)
from .dashboard import dashboard_for
from .forms import InstitutionFilterForm
from .standing import (
    WEEKDAY_INITIALS,
    anomalies_sheet,
    anomaly_fixes,
    fix_first,
    hospital_rates,
    longest_gap_dates,
    quality_fixes,
    quarter_trend,
    upload_calendar,
)
from .tables import FigureRow, InstitutionTable, search_sheet, status_history_sheet


def _region_in_scope(request: HttpRequest) -> Region | None:
    """The ?region=CODE of the request; 404 outside the user's regions."""
    code = request.GET.get("region")
    if not code:
        return None
    return get_object_or_404(regions_for(request.user), code=code)


def _nav_params(request: HttpRequest) -> QueryDict:
    """The platform and period of the request's query, for links to other pages."""
    keep = request.GET.copy()
    for key in list(keep):
        if key not in ("platform", "period"):
            keep.pop(key)
    return keep


def _nav_query(request: HttpRequest) -> str:
    return _nav_params(request).urlencode()


def _export_heading(region, period, platform) -> str:
    """The first row of a workbook: where, when and which platform."""
    return " ".join(
        part
        for part in (region.name if region else "", period_heading(platform, period), platform.name)
        if part
    )


def _empty(request: HttpRequest) -> HttpResponse:
    return render(request, "web/empty.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    region = _region_in_scope(request)
    user = request.user
    if user.role == User.Role.HOSPITAL and user.institution_id:
        url = reverse("institution-detail", args=[user.institution.org_code])
        query = _nav_query(request)
        return redirect(f"{url}?{query}" if query else url)
    platform, period = resolve_request(request)
    if platform is None:
        return _empty(request)
    if missing := no_data_page(request, platform, period):
        return missing

    institutions = institutions_for(user)
    if region is not None:
        institutions = institutions.filter(region__path__startswith=region.path)
    figures = period_figures(
        institutions=institutions, platform=platform, start=period.start, end=period.end
    )
    parent = region or user.region
    regions = regions_for(user)
    children = list(
        regions.filter(parent=parent) if parent else regions.filter(parent__isnull=True)
    )
    unconnected = [
        r
        for r in figures.rows
        if r.connection_status in (ConnectionStatus.NOT_CONNECTED, ConnectionStatus.INTEGRATING)
    ]
    summary = figures.summary
    breakdown = region_breakdown(figures, parent, children) if children else []
    sheets = [unconnected_sheet(unconnected, _nav_query(request))]
    if breakdown:
        sheets.insert(0, breakdown_sheet(breakdown, _nav_params(request)))
    export = sheet_export(
        request, sheets, f"home-{period.key}", _export_heading(region or parent, period, platform)
    )
    if export:
        return export
    return render(
        request,
        "web/home.html",
        {
            "nav": navigation(request, platform, period),
            "figures": figures,
            "summary": summary,
            "tiers": [(label, summary.tiers[t]) for t, label in Tier.LABELS.items()],
            "unconnected": unconnected,
            "region": region,
            "regions": regions,
            "breakdown": breakdown,
            "sheets": {sheet.key: sheet for sheet in sheets},
            "problems": night_problems(request_platforms(request)),
        },
    )


@login_required
def institution_list(request: HttpRequest) -> HttpResponse:
    _region_in_scope(request)
    platform, period = resolve_request(request)
    if platform is None:
        return _empty(request)
    if missing := no_data_page(request, platform, period):
        return missing
    # ?print=1: every row on one page, for printing the whole list.
    printing = request.GET.get("print") == "1"

    def filters():
        return InstitutionFilterForm(request.GET or None, regions=regions_for(request.user))

    def listed():
        institutions = institutions_for(request.user)
        filtering = form.is_bound and form.is_valid()
        if filtering:
            institutions = form.filter_institutions(institutions)
        figures = period_figures(
            institutions=institutions, platform=platform, start=period.start, end=period.end
        )
        return form.filter_rows(figures.rows) if filtering else figures.rows

    def configured():
        table = InstitutionTable([FigureRow(r) for r in rows], query_string=_nav_query(request))
        RequestConfig(request, paginate=False if printing else {"per_page": 50}).configure(table)
        return table

    # Built only when the page's cached body is not.
    form = SimpleLazyObject(filters)
    rows = SimpleLazyObject(listed)
    table = SimpleLazyObject(configured)
    if request.GET.get("export") == "xlsx":
        return xlsx_response(
            [sheet_from_table(table, "institutions", _("Institution list"))],
            f"institutions-{period.key}.xlsx",
            f"{period_heading(platform, period)} {platform.name}",
        )
    return render(
        request,
        "web/institution_list.html",
        {
            "nav": navigation(request, platform, period),
            "form": form,
            "table": table,
            "count": lambda: len(rows),
            "printing": printing,
        },
    )


def _institution_sheets(tables, days, trend, history) -> list[Sheet]:
    """The institution page's tables, shown and exported (`?export=KEY`) from these."""
    by_table = Sheet(
        "tables",
        _("Records by table"),
        [
            _("Table code"),
            _("Table name"),
            _("Category"),
            _("In catalogue"),
            _("Upload volume"),
            _("Records rejected"),
            _("Upload days"),
            _("Last upload date"),
        ],
        [
            [
                t.code,
                t.name
                if t.in_catalogue
                else Mark(_("Not in catalogue"), "badge text-bg-secondary"),
                t.category or None,
                _("Yes") if t.in_catalogue else _("No"),
                t.records,
                t.rejected,
                t.upload_days,
                t.last_upload_date,
            ]
            for t in tables
        ],
        numeric=frozenset({4, 5, 6}),
        empty_text=_("No table catalogue is set up."),
        # Required tables not uploaded stand out.
        row_classes=["table-warning" if t.in_catalogue and not t.uploaded else "" for t in tables],
    )
    busiest = max((d.records for d in days), default=0)
    by_day = Sheet(
        "days",
        _("Records by day"),
        [_("Date"), _("Records uploaded"), _("Records rejected"), _("Tables with data"), ""],
        [
            [d.day, d.records, d.rejected, d.tables, Bar(d.records / busiest if busiest else 0)]
            for d in days
        ],
        numeric=frozenset({1, 2, 3}),
        page_only=frozenset({4}),
    )
    return [by_table, by_day, trend, history]


@login_required
def institution_detail(request: HttpRequest, org_code: str) -> HttpResponse:
    institution = get_object_or_404(
        institutions_for(request.user).select_related("region"), org_code=org_code
    )
    platform, period = resolve_request(request)
    if platform is None:
        return _empty(request)
    # Without statistics for the period the page still shows the institution, its
    # connection and history, and says so instead of a tier.
    has_data = period_has_data(request, platform, period)
    # The institution ranks among those its commission assesses: their figures hold
    # its own (the same, score included: one score on every page), read once.
    standing = (
        institution_standing(
            institution=institution, platform=platform, start=period.start, end=period.end
        )
        if has_data and institution.active
        else None
    )
    row = standing.peers.by_org_code().get(institution.org_code) if standing else None
    through = standing.peers.through if standing else None
    if has_data and row is None:
        figures = period_figures(
            institutions=institutions_for(request.user).filter(pk=institution.pk),
            platform=platform,
            start=period.start,
            end=period.end,
        )
        row, through = (figures.rows[0] if figures.rows else None), figures.through
    if row is None:
        standing = None
    tables = (
        institution_tables(figures=row, platform=platform, start=period.start, end=period.end)
        if row
        else []
    )
    days = (
        institution_days(
            institution=institution, platform=platform, start=period.start, end=period.end
        )
        if row
        else []
    )
    connection = (
        connections_for(request.user).filter(platform=platform, institution=institution).first()
    )
    months = upload_calendar(days, row, through)
    fixes = []
    if row and not row.exempt and standing is not None:
        peers = standing.peers
        fixes = fix_first(
            row=row,
            tables=tables,
            adoption=table_adoption(peers),
            connected_peers=peers.summary.connected,
            gap=longest_gap_dates(days, months),
            scope=standing.scope.whole_label if standing.scope else "",
            units=standing.units,
        )
    trend = quarter_trend(
        institutions=institutions_for(request.user).filter(pk=institution.pk),
        platform=platform,
        period=period,
    )
    changes = (
        connection_changes_for(request.user)
        .filter(connection__platform=platform, connection__institution=institution)
        .select_related("entered_by")
        .order_by("-effective_date", "-id")
    )
    history = status_history_sheet(changes)
    sheets = _institution_sheets(tables, days, trend, history)
    rates = (
        hospital_rates(
            institutions=institutions_for(request.user).filter(pk=institution.pk),
            platform=platform,
            period=period,
        )
        if row and not row.exempt
        else None
    )
    anomalies = (
        volume_anomalies(
            institutions=institutions_for(request.user).filter(pk=institution.pk),
            platform=platform,
            start=period.start,
            end=period.end,
        ).get(institution.pk, [])
        if row and not row.exempt
        else []
    )
    anomaly_sheet = anomalies_sheet(anomalies, baseline_note(period.start, period.end))
    fixes += anomaly_fixes(anomalies)
    quality = None
    if row and not row.exempt:
        quality = quality_values(
            institutions=institutions_for(request.user).filter(pk=institution.pk),
            platform=platform,
            start=period.start,
            end=period.end,
        ).get(institution.pk)
        if quality is not None and not quality.checked:
            quality = None
    quality_sheet = (
        rules_sheet(quality, platform, key="quality-rules", title=_("Quality rules checked"))
        if quality
        else None
    )
    if quality:
        rule_names = dict(QualityRule.objects.filter(platform=platform).values_list("code", "name"))
        fixes += quality_fixes(quality, rule_names)
    export = sheet_export(
        request,
        sheets
        + ([rates.sheet, rates.months] if rates else [])
        + ([quality_sheet] if quality_sheet else [])
        + [anomaly_sheet],
        f"{institution.org_code}-{period.key}",
        f"{institution.name} {period_heading(platform, period)} {platform.name}",
    )
    if export:
        return export
    return render(
        request,
        "web/institution_detail.html",
        {
            "nav": navigation(request, platform, period),
            "institution": institution,
            "row": row,
            "has_data": has_data,
            "connection": connection,
            "history": history,
            "by_table": sheets[0],
            "by_day": sheets[1],
            "uploaded_tables": [t for t in tables if t.in_catalogue and t.uploaded],
            "missing_tables": [t for t in tables if t.in_catalogue and not t.uploaded],
            "unknown_tables": [t for t in tables if not t.in_catalogue],
            "tables": tables,
            "days": days,
            "standing": standing,
            "calendar": months,
            "weekdays": WEEKDAY_INITIALS,
            "fixes": fixes,
            "trend": trend,
            "rates": rates,
            "anomalies": anomaly_sheet,
            "assessments": current_assessments(
                assessments_for(request.user).filter(institution=institution)
            ),
            "quality": quality,
            "quality_sheet": quality_sheet,
            "quality_dimensions": (
                [(label, quality.rate(d)) for d, label in Dimension.choices] if quality else []
            ),
        },
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Charts of a city or county, each with its table and Excel export
    (`?export=KEY`, or `?export=all` for every table in one workbook)."""
    user = request.user
    if user.role == User.Role.HOSPITAL:
        return home(request)  # a hospital's dashboard is its own institution page
    region = _region_in_scope(request)
    platform, period = resolve_request(request)
    if platform is None:
        return _empty(request)
    if missing := no_data_page(request, platform, period):
        return missing
    board = dashboard_for(user, platform, period, region=region, query=_nav_query(request))
    panels = board.panels()
    export = request.GET.get("export")
    if export:
        sheets = [p.sheet for p in panels if export in (p.sheet.key, "all")]
        if not sheets:
            raise Http404(_("No such table."))
        return xlsx_response(
            sheets,
            f"dashboard-{export}-{period.key}.xlsx",
            _export_heading(region or board.parent, period, platform),
        )
    return render(
        request,
        "web/dashboard.html",
        {
            "nav": navigation(request, platform, period),
            "region": region,
            "regions": regions_for(user),
            "summary": board.summary,
            "panels": panels,
            "charts": [{"id": p.sheet.key, **p.chart} for p in panels if p.chart],
            "problems": night_problems(request_platforms(request)),
        },
    )


@login_required
def help_page(request: HttpRequest) -> HttpResponse:
    """统计口径说明: every figure's definition, from the definitions the figures use
    (and the silent threshold of the platform in view)."""
    platform, period = resolve_request(request)
    silent = silent_after_days(platform) if platform else DEFAULT_SILENT_AFTER_DAYS
    return render(
        request,
        "web/help.html",
        {
            "nav": navigation(request, platform, period) if platform else None,
            "entries": figure_help(DEFAULT, silent),
            "definitions": DEFAULT,
            "platform": platform,
        },
    )


@login_required
def institution_search(request: HttpRequest) -> HttpResponse:
    """The header's search box: institutions of the user's scope by name or code; a
    single match opens its page."""
    q = request.GET.get("q", "").strip()[:64]
    found = Institution.objects.none()
    if q:
        found = (
            institutions_for(request.user)
            .filter(Q(name__icontains=q) | Q(org_code__icontains=q))
            .select_related("region")
            .order_by("region__sort_key", "name")
        )
    matches = list(found[:101])
    if len(matches) == 1:
        url = reverse("institution-detail", args=[matches[0].org_code])
        query = _nav_query(request)
        return redirect(f"{url}?{query}" if query else url)
    return render(
        request,
        "web/search.html",
        {
            "q": q,
            "results": search_sheet(matches[:100], _nav_query(request)),
            "more": len(matches) > 100,
        },
    )
