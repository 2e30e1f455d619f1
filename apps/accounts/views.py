"""Accounts: a city officer manages the accounts below their region (county
officers, hospital staff); every user changes their own password, and one whose
password was reset must change it before anything else. Accounts are reached
through `users_for` (404 outside it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from apps.accounts.scoping import institutions_for, manages_users, regions_for, users_for
from apps.core.methods import accepts
from apps.core.sheets import sheet_export

from .forms import OwnPasswordForm, UserForm
from .models import User, roles_below
from .services import (
    AccountRefused,
    user_create,
    user_password_changed,
    user_reset_password,
    user_update,
)
from .tables import users_sheet


def _officer(request: HttpRequest) -> None:
    if not manages_users(request.user):
        raise Http404


def _choices(request: HttpRequest) -> dict:
    regions = regions_for(request.user)
    if request.user.role:
        regions = regions.exclude(pk=request.user.region_id)  # below, never their own
    return {
        "regions": regions,
        "institutions": institutions_for(request.user),
        "roles": roles_below(request.user),
    }


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _officer(request)
    accounts = users_sheet(
        users_for(request.user)
        .select_related("region", "institution")
        .order_by(
            "-is_active", "role", "region__sort_key", "institution__region__sort_key", "username"
        )
    )
    export = sheet_export(request, [accounts], "accounts")
    if export:
        return export
    return render(request, "accounts/user_list.html", {"accounts": accounts})


ACCOUNT_FIELDS = ("display_name", "role", "region", "institution", "phone", "email")


def _save(form: UserForm, service, **extra):
    """Call the service with the form's account fields; its refusal goes onto the form."""
    try:
        return service(**{name: form.cleaned_data[name] for name in ACCOUNT_FIELDS}, **extra)
    except AccountRefused as refused:
        form.add_error(None, str(refused))
        return None


@login_required
@accepts("POST")
def user_new(request: HttpRequest) -> HttpResponse:
    _officer(request)
    form = UserForm(request.POST or None, creating=True, **_choices(request))
    if request.method == "POST" and form.is_valid():
        created = _save(form, user_create, by=request.user, username=form.cleaned_data["username"])
        if created:
            user, password = created
            # Shown once, on this answer to the POST: never stored, never in a message.
            return render(
                request,
                "accounts/password_issued.html",
                {"account": user, "password": password, "created": True},
            )
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@login_required
@accepts("POST")
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _officer(request)
    account = get_object_or_404(users_for(request.user), pk=pk)
    form = UserForm(
        request.POST or None,
        initial=UserForm.initial_for(account),
        creating=False,
        **_choices(request),
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            user_update,
            by=request.user,
            user=account,
            is_active=form.cleaned_data["is_active"],
        )
        if saved:
            messages.success(
                request, _("The account of %(name)s is saved.") % {"name": saved.label}
            )
            return redirect("user-list")
    return render(
        request, "accounts/user_form.html", {"form": form, "creating": False, "account": account}
    )


@login_required
@accepts("POST")
def user_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first; the answer to the confirmation shows the new temporary password once."""
    _officer(request)
    account = get_object_or_404(users_for(request.user), pk=pk)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        password = user_reset_password(by=request.user, user=account)
        return render(
            request,
            "accounts/password_issued.html",
            {"account": account, "password": password, "created": False},
        )
    return render(request, "accounts/password_reset_confirm.html", {"account": account})


@login_required
@accepts("POST")
def password_change(request: HttpRequest) -> HttpResponse:
    """Every user's own password; the way out of a reset one."""
    form = OwnPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # stay signed in
        user_password_changed(user=user)
        messages.success(request, _("Your password is changed."))
        return redirect("home")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "forced": request.user.must_change_password},
    )


class PasswordChangeRequiredMiddleware:
    """A user whose password was reset sees only the password page (and can sign
    out) until they have chosen their own."""

    ALLOWED = ("/accounts/password/", "/logout/", "/static/", "/favicon.ico", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and isinstance(user, User)
            and user.must_change_password
            and not request.path.startswith(self.ALLOWED)
        ):
            return redirect("password-change")
        return self.get_response(request)
