"""The nightly pulls as city officers see them: the sync log, a platform's runs
and backfills, one run's rejected items, and the review queue of unknown codes.
Every queryset comes from a scoping function; county and hospital users get 404."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.scoping import (
    backfills_for,
    ingestion_platforms_for,
    institutions_for,
    regions_for,
    sync_runs_for,
    unknown_indicator_values_for,
    unknown_quality_values_for,
    unknown_uploads_for,
    watches_ingestion,
)
from apps.alerts.services import silent_after_days
from apps.core.methods import accepts
from apps.core.sheets import sheet_export
from apps.indicators.forms import IndicatorForm
from apps.indicators.models import Indicator
from apps.metrics.figures import data_day
from apps.platforms.models import Platform

from .backfills import backfill_restart, backfill_start
from .configure import (
    SecretNeeded,
    SourceRefused,
    TokenNeeded,
    platform_settings_save,
    platform_source_save,
    platform_source_test,
    platform_test_connection,
)
from .forms import BackfillForm, MapCodeForm, PlatformSettingsForm, RegisterCodeForm, SourceForm
from .health import last_night, night_problems
from .models import SyncRun
from .review import (
    ResolveRefused,
    unknown_code_map,
    unknown_code_register,
    unknown_indicator_add,
    waiting_codes,
    waiting_indicators,
    waiting_rules,
)
from .tables import (
    failed_runs_sheet,
    nights_sheet,
    rejections_sheet,
    review_queue_sheet,
    runs_sheet,
    unknown_indicators_sheet,
    unknown_rules_sheet,
    waiting_rows_sheet,
    waiting_values_sheet,
)

NIGHTS = 8
VALUES_SHOWN = 200  # waiting indicator values a code's page lists (the export has all)


def _officer(request: HttpRequest) -> None:
    if not watches_ingestion(request.user):
        raise Http404(_("Page not found."))


def _platforms(user) -> list[Platform]:
    return sorted(
        ingestion_platforms_for(user), key=lambda p: (p.level != Platform.Level.CITY, p.code)
    )


@login_required
def sync_log(request: HttpRequest) -> HttpResponse:
    """The last nights per platform: for each day, the latest pull and what it did."""
    _officer(request)
    platforms = _platforms(request.user)
    newest = last_night()
    days = [newest - dt.timedelta(days=n) for n in range(NIGHTS)]
    runs = sync_runs_for(request.user).filter(
        kind__in=[SyncRun.Kind.UPLOADS, SyncRun.Kind.INDICATORS],
        day__gte=days[-1],
        day__lte=days[0],
    )
    latest: dict[tuple[str, int, dt.date], SyncRun] = {}
    for run in runs.order_by("started_at", "id"):
        latest[(run.kind, run.platform_id, run.day)] = run
    statuses = {
        p.pk: sync_runs_for(request.user)
        .filter(platform=p, kind=SyncRun.Kind.INSTITUTIONS)
        .order_by("-started_at", "-id")
        .first()
        for p in platforms
    }
    boards = [
        {
            "platform": p,
            "nights": nights_sheet(
                p,
                [
                    (
                        day,
                        latest.get((SyncRun.Kind.UPLOADS, p.pk, day)),
                        latest.get((SyncRun.Kind.INDICATORS, p.pk, day)),
                    )
                    for day in days
                ],
            ),
            "statuses": statuses.get(p.pk),
        }
        for p in platforms
    ]
    failed = failed_runs_sheet(
        sync_runs_for(request.user)
        .filter(outcome=SyncRun.Outcome.FAILED)
        .select_related("platform")[:20]
    )
    export = sheet_export(request, [b["nights"] for b in boards] + [failed], "sync")
    if export:
        return export
    return render(
        request,
        "ingestion/sync_log.html",
        {
            "boards": boards,
            "failed": failed,
            "problems": night_problems(platforms),
            "waiting": len(
                waiting_codes(
                    unknown_uploads_for(request.user),
                    unknown_indicator_values_for(request.user),
                    unknown_quality_values_for(request.user),
                )
            )
            + len(waiting_indicators(unknown_indicator_values_for(request.user)))
            + len(waiting_rules(unknown_quality_values_for(request.user))),
        },
    )


def _settings_form(platform: Platform, data=None) -> PlatformSettingsForm:
    return PlatformSettingsForm(
        data,
        initial={"api_url": platform.api_url, "silent_after_days": silent_after_days(platform)},
    )


@login_required
@accepts("POST")
def platform_sync(request: HttpRequest, code: str) -> HttpResponse:
    """One platform: its interface settings (and a test of them), its runs, and
    backfills with their progress."""
    _officer(request)
    platform = get_object_or_404(ingestion_platforms_for(request.user), code=code)
    form = BackfillForm(initial=BackfillForm.initial_range())
    settings_form = _settings_form(platform)
    tested = None
    action = request.POST.get("action") if request.method == "POST" else None
    if action in ("settings", "test"):
        settings_form = _settings_form(platform, request.POST)
        if settings_form.is_valid():
            data = settings_form.cleaned_data
            token = data["api_token"] or None
            if action == "test":
                try:
                    tested = platform_test_connection(
                        platform=platform,
                        api_url=data["api_url"],
                        api_token=token,
                        user=request.user,
                    )
                except TokenNeeded as exc:
                    settings_form.add_error(None, str(exc))
            else:
                try:
                    changed = platform_settings_save(
                        platform=platform,
                        api_url=data["api_url"],
                        api_token=token,
                        silent_after_days=data["silent_after_days"],
                        user=request.user,
                    )
                except TokenNeeded as exc:
                    settings_form.add_error(None, str(exc))
                else:
                    messages.success(
                        request,
                        _("The interface settings are saved.")
                        if changed
                        else _("Nothing changed."),
                    )
                    return redirect("platform-sync", code=platform.code)
    elif action == "restart":
        pk = request.POST.get("backfill", "")
        if not pk.isdigit():
            raise Http404
        backfill = get_object_or_404(backfills_for(request.user).filter(platform=platform), pk=pk)
        if not backfill.restartable:
            messages.error(request, _("Only a failed or interrupted backfill can be restarted."))
        elif not platform.can_be_pulled:
            messages.error(request, _("The platform has no statistics interface URL and token."))
        else:
            backfill = backfill_restart(backfill=backfill, user=request.user)
            messages.success(request, _("The backfill is queued again."))
        return redirect("platform-sync", code=platform.code)
    elif request.method == "POST":
        form = BackfillForm(request.POST)
        if not platform.can_be_pulled:
            form.add_error(None, _("The platform has no statistics interface URL and token."))
        if form.is_valid():
            backfill = backfill_start(
                platform=platform,
                first_day=form.cleaned_data["first_day"],
                last_day=form.cleaned_data["last_day"],
                with_institutions=form.cleaned_data["with_institutions"],
                user=request.user,
            )
            if backfill.handed_over is False:
                messages.warning(
                    request,
                    _(
                        "The task queue cannot be reached: the backfill is recorded and "
                        "will be handed to a worker automatically once the queue is back."
                    ),
                )
            else:
                messages.success(request, _("The backfill has been handed to a worker."))
            return redirect("platform-sync", code=platform.code)
    backfills = list(backfills_for(request.user).filter(platform=platform)[:10])
    all_runs = sync_runs_for(request.user).filter(platform=platform).select_related("started_by")
    export = sheet_export(request, [runs_sheet(all_runs)], f"sync-{platform.code}")
    if export:
        return export
    runs = Paginator(all_runs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "ingestion/platform_sync.html",
        {
            "platform": platform,
            "form": form,
            "settings_form": settings_form,
            "tested": tested,
            "backfills": backfills,
            "in_progress": any(not b.finished for b in backfills),
            "runs": runs,
            "runs_sheet": runs_sheet(runs),
        },
    )


@login_required
def sync_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _officer(request)
    run = get_object_or_404(sync_runs_for(request.user).select_related("platform"), pk=pk)
    rejections = rejections_sheet(run)
    export = sheet_export(request, [rejections], f"sync-run-{run.pk}")
    if export:
        return export
    return render(request, "ingestion/sync_run.html", {"run": run, "rejections": rejections})


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _officer(request)
    platforms = {p.pk: p for p in ingestion_platforms_for(request.user)}
    values = unknown_indicator_values_for(request.user)
    results = unknown_quality_values_for(request.user)
    lines = [
        (platforms[w.platform_id], w)
        for w in waiting_codes(unknown_uploads_for(request.user), values, results)
        if w.platform_id in platforms
    ]
    rules = unknown_rules_sheet(
        (platforms[w.platform_id], w) for w in waiting_rules(results) if w.platform_id in platforms
    )
    queue = review_queue_sheet(lines)
    indicators = unknown_indicators_sheet(
        (platforms[w.platform_id], w)
        for w in waiting_indicators(values)
        if w.platform_id in platforms
    )
    export = sheet_export(request, [queue, indicators, rules], "unknown-codes")
    if export:
        return export
    return render(
        request,
        "ingestion/review_queue.html",
        {"queue": queue, "indicators": indicators, "rules": rules},
    )


@login_required
@accepts("POST")
def review_indicator(request: HttpRequest, code: str) -> HttpResponse:
    """An indicator code the platforms sent that the catalogue lacks: its waiting
    values, and the form that adds it (and stores them)."""
    _officer(request)
    values = (
        unknown_indicator_values_for(request.user)
        .filter(indicator=code)
        .exclude(indicator__in=Indicator.objects.values("code"))
    )
    if not values.exists():
        raise Http404(_("No values wait for this indicator."))
    form = IndicatorForm(request.POST or None, initial={"code": code})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["code"] != code:
            form.add_error("code", _("The code is the one the platform sent."))
        else:
            indicator, stored = unknown_indicator_add(
                user=request.user,
                platforms=ingestion_platforms_for(request.user),
                **form.cleaned_data,
            )
            messages.success(
                request,
                _("Indicator %(name)s added: %(n)d waiting values stored.")
                % {"name": indicator.name, "n": stored},
            )
            return redirect("review-queue")
    ordered = values.select_related("platform").order_by("day", "org_code", "platform_id")
    export = sheet_export(request, [waiting_values_sheet(ordered)], f"unknown-indicator-{code}")
    if export:
        return export
    page = Paginator(ordered, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "ingestion/review_indicator.html",
        {
            "code": code,
            "form": form,
            "rows": page,
            "waiting": waiting_values_sheet(page),
            "count": values.count(),
        },
    )


@login_required
@accepts("POST")
def review_code(request: HttpRequest, platform_code: str, org_code: str) -> HttpResponse:
    """One unknown code: its waiting rows, and the two ways to resolve it."""
    _officer(request)
    platform = get_object_or_404(ingestion_platforms_for(request.user), code=platform_code)
    rows = unknown_uploads_for(request.user).filter(platform=platform, org_code=org_code)
    values = unknown_indicator_values_for(request.user).filter(platform=platform, org_code=org_code)
    results = unknown_quality_values_for(request.user).filter(platform=platform, org_code=org_code)
    summary = next(iter(waiting_codes(rows, values, results)), None)
    if summary is None:
        raise Http404(_("No rows wait for this code."))
    institutions, regions = institutions_for(request.user), regions_for(request.user)
    map_form = MapCodeForm(institutions=institutions)
    register_form = RegisterCodeForm(regions=regions)
    problems: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "map":
                map_form = MapCodeForm(request.POST, institutions=institutions)
                if map_form.is_valid():
                    institution = map_form.cleaned_data["institution"]
                    n = unknown_code_map(
                        platform=platform,
                        org_code=org_code,
                        institution=institution,
                        user=request.user,
                    )
                    messages.success(
                        request,
                        _("%(code)s is now %(name)s: %(n)d rows stored.")
                        % {"code": org_code, "name": institution.name, "n": n},
                    )
                    return redirect("review-queue")
            elif action == "register":
                register_form = RegisterCodeForm(request.POST, regions=regions)
                if register_form.is_valid():
                    institution = unknown_code_register(
                        platform=platform,
                        org_code=org_code,
                        user=request.user,
                        platforms=ingestion_platforms_for(request.user),
                        **register_form.cleaned_data,
                    )
                    messages.success(
                        request,
                        _("%(name)s registered under %(code)s; its rows are stored.")
                        % {"code": org_code, "name": institution.name},
                    )
                    return redirect(
                        reverse("institution-detail", args=[institution.org_code])
                        + f"?platform={platform.code}"
                    )
            else:
                problems.append(_("Choose how to resolve the code."))
        except ResolveRefused as refused:
            problems = refused.problems
    ordered = rows.order_by("day", "table_code")
    ordered_values = values.select_related("platform").order_by("day", "indicator")
    export = sheet_export(
        request,
        [waiting_rows_sheet(ordered), waiting_values_sheet(ordered_values)],
        f"unknown-{org_code}",
    )
    if export:
        return export
    waiting_values = waiting_values_sheet(ordered_values[:VALUES_SHOWN])
    page = Paginator(ordered, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "ingestion/review_code.html",
        {
            "platform": platform,
            "org_code": org_code,
            "rows": page,
            "waiting": waiting_rows_sheet(page),
            "waiting_values": waiting_values,
            "summary": summary,
            "map_form": map_form,
            "register_form": register_form,
            "problems": problems,
        },
    )


@login_required
@accepts("POST")
def platform_source(request: HttpRequest, code: str) -> HttpResponse:
    """Where the platform's pulls read — its HTTP interface, its database or a
    folder — chosen, tested (the first rows as the portal reads them, nothing
    written) and saved by its officers."""
    _officer(request)
    platform = get_object_or_404(ingestion_platforms_for(request.user), code=code)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    test_day = min(data_day(platform) or yesterday, yesterday)
    form = SourceForm.of(platform, test_day=test_day)
    tested = None
    if request.method == "POST":
        form = SourceForm.of(platform, request.POST, test_day=test_day)
        action = request.POST.get("action")
        if form.is_valid():
            chosen = form.settings()
            try:
                if action == "test" and chosen["source"] != Platform.Source.HTTP:
                    tested = platform_source_test(
                        platform=platform,
                        user=request.user,
                        day=form.cleaned_data["test_day"] or test_day,
                        **chosen,
                    )
                elif action == "test":
                    form.add_error(None, _("Test the interface on the platform's page."))
                else:
                    changed = platform_source_save(platform=platform, user=request.user, **chosen)
                    messages.success(
                        request,
                        _("The source settings are saved.") if changed else _("Nothing changed."),
                    )
                    return redirect("platform-source", code=platform.code)
            except SourceRefused as exc:
                for problem in exc.problems:
                    form.add_error(None, problem)
            except SecretNeeded as exc:
                form.add_error(None, str(exc))
    runs = sync_runs_for(request.user).filter(platform=platform)
    last_reads = [
        (label, runs.filter(kind=kind).order_by("-started_at", "-id").first())
        for kind, label in SyncRun.Kind.choices
    ]
    return render(
        request,
        "ingestion/platform_source.html",
        {"platform": platform, "form": form, "tested": tested, "last_reads": last_reads},
    )
