"""The bell (a user's notifications) and the silent institutions of a user's scope,
on a page and as an Excel workbook. Everything starts from the scoping functions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.scoping import (
    notifications_for,
    platforms_for,
    regions_for,
    watches_for,
)
from apps.core.methods import post_only
from apps.core.sheets import Link, Sheet, xlsx_response

from .models import Status
from .services import notification_mark_read, notifications_mark_read


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = notifications_for(request.user).select_related(
        "flip__institution__region", "flip__platform"
    )
    page = Paginator(notifications, 50).get_page(request.GET.get("page"))
    return render(request, "alerts/notification_list.html", {"page": page})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification to its institution's page, marking it read."""
    notification = get_object_or_404(
        notifications_for(request.user).select_related("flip__institution", "flip__platform"),
        pk=pk,
    )
    notification_mark_read(notification=notification)
    flip = notification.flip
    url = reverse("institution-detail", args=[flip.institution.org_code])
    return redirect(f"{url}?platform={flip.platform.code}")


@login_required
@post_only
def notifications_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(user=request.user)
    return redirect("alerts-notifications")


def _silent(request: HttpRequest) -> dict:
    """The silent watches in the user's scope, narrowed by ?platform= and ?region=
    (404 for a region outside the scope)."""
    watches = watches_for(request.user).filter(status=Status.SILENT)
    platform = region = None
    if request.GET.get("platform"):
        platform = get_object_or_404(platforms_for(request.user), code=request.GET["platform"])
        watches = watches.filter(platform=platform)
    if request.GET.get("region"):
        region = get_object_or_404(regions_for(request.user), code=request.GET["region"])
        watches = watches.filter(institution__region__path__startswith=region.path)
    watches = watches.select_related("institution__region", "platform").order_by(
        "institution__region__sort_key", "institution__org_code", "platform__code"
    )
    return {"watches": list(watches), "platform": platform, "region": region}


def silent_sheet(watches) -> Sheet:
    """The silent institutions, as the page shows them and the workbook holds them."""
    sheet = Sheet(
        "silent",
        _("Silent institutions"),
        [
            _("Information platform"),
            _("Region"),
            _("Institution code"),
            _("Institution"),
            _("Last upload"),
            _("Days without records"),
            _("Silent since"),
        ],
        numeric=frozenset({5}),
        empty_text=_("No institution in your scope is silent."),
    )
    for watch in watches:
        url = reverse("institution-detail", args=[watch.institution.org_code])
        sheet.rows.append(
            [
                watch.platform.name,
                watch.institution.region_label,
                watch.institution.org_code,
                Link(watch.institution.name, f"{url}?platform={watch.platform.code}"),
                watch.last_upload_date,
                watch.silent_days,
                watch.silent_since,
            ]
        )
    return sheet


@login_required
def silent_list(request: HttpRequest) -> HttpResponse:
    context = _silent(request)
    context["sheet"] = silent_sheet(context["watches"])
    context["regions"] = regions_for(request.user)
    context["platforms"] = platforms_for(request.user)
    return render(request, "alerts/silent_list.html", context)


@login_required
def silent_xlsx(request: HttpRequest) -> HttpResponse:
    """The page's table as a workbook (apps/core/sheets.py escapes the text cells)."""
    today = timezone.localdate()
    heading = _("Silent institutions as of %(day)s") % {"day": today.isoformat()}
    return xlsx_response(
        [silent_sheet(_silent(request)["watches"])], f"silent-{today.isoformat()}.xlsx", heading
    )
