"""Writing the audit log. Every hook elsewhere is one call to `audit_record`.

Who acted comes from the arguments, or else from the request being served (set by
`CurrentRequestMiddleware`), so a service called from a view, the admin or a
management command needs no extra parameter: on the command line the actor is empty.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.db import models

from .models import AuditEvent

_current_request: ContextVar = ContextVar("audit_current_request", default=None)
_acting_user: ContextVar = ContextVar("audit_acting_user", default=None)


def current_request():
    return _current_request.get()


@contextmanager
def acting_as(user):
    """Work done outside a request on a user's behalf (a worker carrying out the
    import an officer confirmed) is recorded as theirs."""
    token = _acting_user.set(user)
    try:
        yield
    finally:
        _acting_user.reset(token)


class CurrentRequestMiddleware:
    """Remembers the request being served so that audit events know who and from where."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def client_ip(request) -> str | None:
    """The peer's address as the server saw it (behind a proxy, the proxy sets
    REMOTE_ADDR through gunicorn's forwarded-allow-ips)."""
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def _plain(value):
    """A JSON-safe rendering of a field value for `details`."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return str(value)


def audit_record(
    *,
    action: str,
    actor=None,
    request=None,
    obj: models.Model | None = None,
    region=None,
    details: dict | None = None,
    actor_label: str = "",
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
) -> AuditEvent:
    """Add one event. `actor` defaults to the signed-in user of `request` (or of the
    request being served); `obj` gives the object's type, id and label; `region`
    decides which city officers see the event (none: superusers only). Without
    `obj`, `object_type`, `object_id` and `object_label` describe the object."""
    request = request if request is not None else current_request()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is None:
        actor = _acting_user.get()
    if actor is not None and not actor_label:
        actor_label = actor.get_username()
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label[:150],
        ip=client_ip(request),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else str(object_id)[:64],
        object_label=(str(obj) if obj is not None else object_label)[:255],
        details=_plain(details or {}),
        region=region,
    )


def source_label(source) -> str:
    """The file name of an importer's source (bytes: an uploaded or generated file)."""
    if getattr(source, "name", None):
        return str(source.name)
    if isinstance(source, bytes | bytearray):
        return ""
    return str(source)


def audit_import(
    *, what: str, source, result, obj: models.Model | None = None, action: str = ""
) -> AuditEvent:
    """One import of a file: which kind (`what`), the file's name and the counts
    (`result` is an ImportResult)."""
    return audit_record(
        action=action or AuditEvent.Action.IMPORT,
        obj=obj,
        object_label="" if obj is not None else what,
        details={
            "import": what,
            "file": source_label(source),
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "deleted": result.deleted,
        },
    )
