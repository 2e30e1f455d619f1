"""The version of the data behind the figures. Writers call `data_changed()` in
the transaction that changes something (model signals do it for single saves and
deletes; the statistics storage calls it for its bulk writes); readers key their
caches on `data_version()`.

The bump is an UPDATE inside the writer's transaction: other connections see the
new version exactly when they see the new rows, so a figure cached under a version
was always computed from that version's data."""

from __future__ import annotations

from contextvars import ContextVar

from django.db.models import F
from django.utils import timezone

from .models import DataVersion

# Within one reading request (GET, HEAD) the version is read once: a page keys
# several caches on it (figures, quality, anomalies). Set by `DataVersionMiddleware`;
# elsewhere (workers, commands, writes) every call reads the database.
_request_version: ContextVar[dict | None] = ContextVar("hipwatch_data_version", default=None)


def data_changed() -> None:
    if not DataVersion.objects.filter(pk=1).update(
        version=F("version") + 1, changed_at=timezone.now()
    ):
        DataVersion.objects.get_or_create(pk=1, defaults={"version": 1})
    memo = _request_version.get()
    if memo is not None:
        memo.clear()  # a write inside the request: read the new version next time


def data_version() -> str:
    memo = _request_version.get()
    if memo is not None and "version" in memo:
        return memo["version"]
    row = DataVersion.objects.filter(pk=1).values_list("version", "changed_at").first()
    version = f"{row[0]}-{row[1].timestamp():.6f}" if row else "0"
    if memo is not None:
        memo["version"] = version
    return version


class DataVersionMiddleware:
    """Read the data version once per reading request (see `_request_version`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        token = _request_version.set({})
        try:
            return self.get_response(request)
        finally:
            _request_version.reset(token)
