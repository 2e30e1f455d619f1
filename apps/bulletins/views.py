"""Bulletin pages: list, create, edit, check and publish, preview, downloads.
Every bulletin is fetched through `bulletins_for`; anything else answers 404."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.scoping import (
    ordered_platforms,
    platforms_for,
    regions_for,
    report_layouts_for,
)
from apps.core.methods import accepts
from apps.core.sheets import sheet_export
from apps.metrics.figures import data_span
from apps.metrics.periods import default_period, period_groups
from apps.regions.models import Region

from .checks import bulletin_check, checks_described
from .content import bulletin_content
from .forms import BulletinForm
from .models import Bulletin
from .pdf import bulletin_pdf_bytes
from .selectors import bulletins_for, can_manage_bulletins
from .services import (
    BulletinRefused,
    bulletin_create,
    bulletin_delete,
    bulletin_publish,
    bulletin_update,
)
from .tables import bulletin_list_sheet
from .xlsx import bulletin_xlsx


def _bulletin(request: HttpRequest, pk: int) -> Bulletin:
    return get_object_or_404(
        bulletins_for(request.user).select_related("platform", "region", "corrects"), pk=pk
    )


def _managed_draft(request: HttpRequest, pk: int) -> Bulletin:
    bulletin = _bulletin(request, pk)
    if not bulletin.is_draft or not can_manage_bulletins(request.user, bulletin.region):
        raise Http404
    return bulletin


def _form_choices(request: HttpRequest) -> dict:
    """The form's choices: the user's platforms (their own level's first), each
    with its own periods and default period, the regions and layouts."""
    platforms = ordered_platforms(request.user)
    periods = {}
    for platform in platforms:
        first, last = data_span(platform)
        periods[platform.pk] = (period_groups(first, last), default_period(last) if last else None)
    return {
        "platforms": platforms_for(request.user).filter(pk__in=[p.pk for p in platforms]),
        "default_platform": platforms[0] if platforms else None,
        "regions": regions_for(request.user).exclude(level=Region.Level.COUNTY),
        "periods": periods,
        "layouts": report_layouts_for(request.user),
    }


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    bulletins = bulletin_list_sheet(
        bulletins_for(request.user)
        .select_related("platform", "region", "corrects")
        .order_by("-issue_date", "-id")
    )
    export = sheet_export(request, [bulletins], "bulletins")
    if export:
        return export
    return render(
        request,
        "bulletins/list.html",
        {
            "bulletins": bulletins,
            "can_create": can_manage_bulletins(request.user),
        },
    )


def _corrected(request: HttpRequest) -> Bulletin | None:
    """The published bulletin a new one corrects (`?corrects=<pk>`), if any; a
    draft, a bulletin out of scope or a malformed pk answers 404."""
    pk = request.GET.get("corrects") or request.POST.get("corrects")
    if not pk:
        return None
    try:
        pk = int(pk)
    except ValueError:
        raise Http404 from None
    corrects = _bulletin(request, pk)
    if corrects.is_draft or not can_manage_bulletins(request.user, corrects.region):
        raise Http404
    return corrects


@login_required
@accepts("POST")
def bulletin_new(request: HttpRequest) -> HttpResponse:
    """A new draft, or (with `?corrects=<pk>`) the correction of a published
    bulletin, which keeps the original's platform, region and period."""
    if not can_manage_bulletins(request.user):
        raise Http404
    corrects = _corrected(request)
    choices = _form_choices(request)
    default_platform = choices.pop("default_platform")
    if request.method == "POST":
        form = BulletinForm(request.POST, creating=corrects is None, **choices)
        if form.is_valid():
            data = form.cleaned_data
            if corrects is None:
                platform, region, period = data["platform"], data["region"], data["period"]
                period_start, period_end, period_label = period.start, period.end, period.label
            else:
                platform, region = corrects.platform, corrects.region
                period_start, period_end = corrects.period_start, corrects.period_end
                period_label = corrects.period_label
            try:
                bulletin = bulletin_create(
                    user=request.user,
                    platform=platform,
                    region=region,
                    period_start=period_start,
                    period_end=period_end,
                    period_label=period_label,
                    corrects=corrects,
                    **form.document_values(period_label=period_label, platform=platform),
                )
            except BulletinRefused as refused:
                for problem in refused.problems:
                    form.add_error(None, problem)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("bulletin-detail", pk=bulletin.pk)
    elif corrects is not None:
        initial = BulletinForm.initial_for(corrects)
        initial.update(
            number="",
            title=_("Correction: %(title)s") % {"title": corrects.title},
            issue_date=timezone.localdate(),
        )
        form = BulletinForm(initial=initial, creating=False, **choices)
    else:
        platform = default_platform
        region = request.user.region or choices["regions"].first()
        initial = {}
        if platform is not None:
            default = choices["periods"][platform.pk][1]
            initial = BulletinForm.initial_new(region, default, platform)
        form = BulletinForm(initial=initial, creating=True, **choices)
    return render(
        request,
        "bulletins/form.html",
        {"form": form, "corrects": corrects, "fixed": corrects, "creating": True},
    )


@login_required
@accepts("POST")
def bulletin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _managed_draft(request, pk)
    choices = _form_choices(request)
    del choices["default_platform"]
    if request.method == "POST":
        form = BulletinForm(request.POST, creating=False, **choices)
        if form.is_valid():
            try:
                bulletin_update(
                    bulletin=bulletin,
                    user=request.user,
                    **form.document_values(
                        period_label=bulletin.period_label, platform=bulletin.platform
                    ),
                )
            except BulletinRefused as refused:
                for problem in refused.problems:
                    form.add_error(None, problem)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("bulletin-detail", pk=bulletin.pk)
    else:
        form = BulletinForm(initial=BulletinForm.initial_for(bulletin), creating=False, **choices)
    return render(
        request,
        "bulletins/form.html",
        {"form": form, "bulletin": bulletin, "fixed": bulletin, "creating": False},
    )


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    content = bulletin_content(bulletin)
    return render(
        request,
        "bulletins/detail.html",
        {
            "bulletin": bulletin,
            "c": content,
            "failures": bulletin_check(content) if bulletin.is_draft else [],
            "can_manage": can_manage_bulletins(request.user, bulletin.region),
            "corrections": bulletins_for(request.user).filter(corrects=bulletin),
        },
    )


CONFIRMED = "yes"


@login_required
@accepts("POST")
def bulletin_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Publishing asks first: the page shows the checks and what the document
    says; only its form's POST (confirm=yes) publishes."""
    bulletin = _managed_draft(request, pk)
    if request.method == "POST" and request.POST.get("confirm") == CONFIRMED:
        try:
            bulletin_publish(bulletin=bulletin, user=request.user)
        except BulletinRefused as refused:
            messages.error(request, _("The bulletin was not published:"))
            for problem in refused.problems:
                messages.error(request, problem)
        else:
            messages.success(request, _("The bulletin is published."))
        return redirect("bulletin-detail", pk=bulletin.pk)
    content = bulletin_content(bulletin)
    return render(
        request,
        "bulletins/confirm_publish.html",
        {
            "bulletin": bulletin,
            "c": content,
            "failures": bulletin_check(content),
            "checks": checks_described(),
        },
    )


@login_required
@accepts("POST")
def bulletin_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Deleting a draft asks first, on its own page."""
    bulletin = _managed_draft(request, pk)
    if request.method == "POST" and request.POST.get("confirm") == CONFIRMED:
        bulletin_delete(bulletin=bulletin, user=request.user)
        messages.success(request, _("The draft is deleted."))
        return redirect("bulletin-list")
    return render(request, "bulletins/confirm_delete.html", {"bulletin": bulletin})


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


def _filename(bulletin: Bulletin, suffix: str) -> str:
    draft = "" if not bulletin.is_draft else _("-draft")
    return quote(f"{bulletin.number}{draft}.{suffix}", safe="")


@login_required
def bulletin_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    response = HttpResponse(bulletin_pdf_bytes(bulletin), content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = (
        f"{disposition}; filename*=UTF-8''{_filename(bulletin, 'pdf')}"
    )
    return response


@login_required
def bulletin_xlsx_view(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _bulletin(request, pk)
    return _download(
        bulletin_xlsx(bulletin_content(bulletin)),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _filename(bulletin, "xlsx"),
    )
