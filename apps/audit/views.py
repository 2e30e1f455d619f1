"""The audit log page and its Excel export, for superusers and city officers;
everyone else gets 404. Events come from `audit_events_for`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.scoping import audit_events_for, sees_audit_log
from apps.core.sheets import Mark, Sheet, xlsx_response

from .forms import AuditFilterForm
from .presentation import details_text

PAGE_SIZE = 50


def audit_sheet(events) -> Sheet:
    """The events as the page shows them and the workbook holds them."""
    sheet = Sheet(
        "audit",
        _("Audit log"),
        [
            _("Time"),
            _("User"),
            _("IP address"),
            _("Action"),
            _("Object"),
            _("Region"),
            _("Details"),
        ],
        empty_text=_("No events."),
    )
    for e in events:
        who = e.actor.label if e.actor is not None else e.actor_label or _("(command line)")
        sheet.rows.append(
            [
                Mark(timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), "text-nowrap"),
                who,
                e.ip or None,
                e.get_action_display(),
                e.object_label or None,
                e.region.name if e.region else None,
                Mark(details_text(e.details), "small text-wrap"),
            ]
        )
    return sheet


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    if not sees_audit_log(request.user):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    events = audit_events_for(request.user).select_related("region", "actor")
    if form.is_bound:
        events = form.filter(events) if form.is_valid() else events.none()
    events = events.order_by("-at", "-id")
    if request.GET.get("export") == "xlsx":
        return xlsx_response(
            [audit_sheet(events)], f"audit-{timezone.localdate():%Y%m%d}.xlsx", _("Audit log")
        )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "audit/list.html", {"form": form, "page": page, "sheet": audit_sheet(page)}
    )
