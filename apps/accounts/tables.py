"""The accounts page's table as a `Sheet` (shown and exported from one object)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.sheets import Link, Mark, Sheet


def users_sheet(users) -> Sheet:
    sheet = Sheet(
        "users",
        _("Accounts"),
        [
            _("Name"),
            _("Login name"),
            _("Role"),
            _("Scope"),
            _("Phone"),
            _("State"),
            _("Last sign-in"),
        ],
        empty_text=_("No account yet."),
    )
    for user in users:
        if not user.is_active:
            state = Mark(_("Deactivated"), "badge text-bg-secondary")
        elif user.must_change_password:
            state = Mark(_("Must change the password"), "badge text-bg-warning")
        else:
            state = Mark(_("Active"), "badge text-bg-success")
        last = (
            timezone.localtime(user.last_login).strftime("%Y-%m-%d %H:%M")
            if user.last_login
            else None
        )
        sheet.rows.append(
            [
                Link(user.label, reverse("user-edit", args=[user.pk])),
                user.username,
                user.get_role_display() or _("Superuser"),
                user.scope_label,
                user.phone or None,
                state,
                last,
            ]
        )
    return sheet
