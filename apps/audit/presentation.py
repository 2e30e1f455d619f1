"""The audit log as officers read it: each event's details in Chinese, keys and
values alike (联通状态：未联通 → 已联通省平台；来源：演示数据), never raw codes."""

from __future__ import annotations

import json
from pathlib import PurePath

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.platforms.models import ConnectionStatus, change_source_label

KEY_LABELS = {
    "platform": gettext_lazy("Platform"),
    "status": gettext_lazy("Connection status"),
    "since": gettext_lazy("Effective date"),
    "source": gettext_lazy("Source"),
    "import": gettext_lazy("Imported"),
    "file": gettext_lazy("File"),
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
    "unchanged": gettext_lazy("Unchanged"),
    "deleted": gettext_lazy("Deleted"),
    "role": gettext_lazy("Role"),
    "region": gettext_lazy("Region"),
    "institution": gettext_lazy("Institution"),
    "is_superuser": gettext_lazy("Superuser"),
    "is_staff": gettext_lazy("Administration access"),
    "is_active": gettext_lazy("Active"),
    "number": gettext_lazy("Document number"),
    "corrects": gettext_lazy("Corrects"),
    "change": gettext_lazy("Change"),
    "message": gettext_lazy("Description"),
    "display_name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"),
    "password": gettext_lazy("Password"),
    "must_change_password": gettext_lazy("Must change the password"),
    "api_url": gettext_lazy("Interface URL"),
    "api_token": gettext_lazy("Interface token"),
    "silent_after_days": gettext_lazy("Silent after days"),
    "answered": gettext_lazy("Platform answered"),
    "rotated": gettext_lazy("Secrets re-encrypted"),
    "stored": gettext_lazy("Secrets stored"),
    "fields": gettext_lazy("Encrypted fields"),
    "rows": gettext_lazy("Rows"),
    "email": gettext_lazy("Email"),
}
IMPORT_LABELS = {
    "regions": gettext_lazy("regions"),
    "institutions": gettext_lazy("institutions"),
    "tables": gettext_lazy("catalogue tables"),
    "uploads": gettext_lazy("upload statistics"),
    "connections": gettext_lazy("connection statuses"),
}
CHANGE_LABELS = {
    "added": gettext_lazy("added"),
    "changed": gettext_lazy("changed"),
    "deleted": gettext_lazy("deleted"),
}


def _plain(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def value_label(key: str, value) -> str:
    """One value as the user reads it."""
    if isinstance(value, str):
        if key == "status" and value in ConnectionStatus.values:
            return str(ConnectionStatus(value).label)
        if key == "role":
            return str(User.Role(value).label) if value in User.Role.values else value or "—"
        if key == "source":
            return change_source_label(value)
        if key == "file":
            return PurePath(value).name or "—"
        if key == "import":
            kind, _sep, rest = value.partition(" ")
            label = IMPORT_LABELS.get(kind)
            return f"{label} {rest}".strip() if label else value
        if key == "change":
            return str(CHANGE_LABELS.get(value, value))
    return _plain(value)


def details_text(details: dict) -> str:
    """`details` as one line: 键：旧 → 新，or 键：值, in Chinese."""
    parts = []
    for key, value in (details or {}).items():
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            text = f"{value_label(key, value['old'])} → {value_label(key, value['new'])}"
        else:
            text = value_label(key, value)
        parts.append(f"{KEY_LABELS.get(key, key)}：{text}")
    return "；".join(parts)
