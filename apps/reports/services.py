"""Writes of reports: an officer's saved layouts (报表格式), for their region,
audited."""

from __future__ import annotations

from django.db import transaction

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import ReportLayout


@transaction.atomic
def layout_save(
    *, user: User, name: str, title: str, columns: list[str], order: str, descending: bool
) -> ReportLayout:
    """Save the layout `name` of the user's region (a superuser's: for everyone),
    replacing one of the same name; audited when something changed."""
    region = user.region if user.role else None
    values = {"title": title, "columns": columns, "order": order, "descending": descending}
    layout = ReportLayout.objects.filter(region=region, name=name, builtin=False).first()
    if layout is not None and all(getattr(layout, k) == v for k, v in values.items()):
        return layout
    layout, created = ReportLayout.objects.update_or_create(
        region=region, name=name, builtin=False, defaults={**values, "updated_by": user}
    )
    audit_record(
        action=AuditEvent.Action.LAYOUT_SAVED,
        actor=user,
        obj=layout,
        region=region,
        details={"created": created, **values},
    )
    return layout


@transaction.atomic
def layout_delete(*, user: User, layout: ReportLayout) -> None:
    audit_record(
        action=AuditEvent.Action.LAYOUT_DELETED,
        actor=user,
        obj=layout,
        region=layout.region,
        details={"name": layout.name, "columns": layout.columns},
    )
    layout.delete()
