"""The audit log page and its Excel export, for superusers and city officers;
everyone else gets 404. Events come from `audit_events_for`."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.scoping import audit_events_for, sees_audit_log
from apps.core.sheets import Sheet, xlsx_response

from .forms import AuditFilterForm

PAGE_SIZE = 50


def details_text(details: dict) -> str:
    """`details` as one line: key: old → new, or key: value."""
    parts = []
    for key, value in (details or {}).items():
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            value = f"{_json(value['old'])} → {_json(value['new'])}"
        else:
            value = _json(value)
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _json(value) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _sheet(events) -> Sheet:
    return Sheet(
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
        [
            [
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor_label,
                e.ip or "",
                e.get_action_display(),
                e.object_label,
                e.region.name if e.region else "",
                details_text(e.details),
            ]
            for e in events
        ],
    )


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    if not sees_audit_log(request.user):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    events = audit_events_for(request.user).select_related("region")
    if form.is_bound:
        events = form.filter(events) if form.is_valid() else events.none()
    events = events.order_by("-at", "-id")
    if request.GET.get("export") == "xlsx":
        return xlsx_response(
            [_sheet(events)], f"audit-{timezone.localdate():%Y%m%d}.xlsx", _("Audit log")
        )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(e, details_text(e.details)) for e in page]
    return render(request, "audit/list.html", {"form": form, "page": page, "rows": rows})
