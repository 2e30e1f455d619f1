"""The version of the data behind the figures. Writers call `data_changed()` in
the transaction that changes something (model signals do it for single saves and
deletes; the statistics storage calls it for its bulk writes); readers key their
caches on `data_version()`.

The bump is an UPDATE inside the writer's transaction: other connections see the
new version exactly when they see the new rows, so a figure cached under a version
was always computed from that version's data."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from .models import DataVersion


def data_changed() -> None:
    if not DataVersion.objects.filter(pk=1).update(
        version=F("version") + 1, changed_at=timezone.now()
    ):
        DataVersion.objects.get_or_create(pk=1, defaults={"version": 1})


def data_version() -> str:
    row = DataVersion.objects.filter(pk=1).values_list("version", "changed_at").first()
    return f"{row[0]}-{row[1].timestamp():.6f}" if row else "0"
