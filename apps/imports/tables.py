"""The import pages' tables as `Sheet`s (shown and exported from one object)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.sheets import Link, Mark, Sheet

from .models import ImportJob

STATE_CLASSES = {
    ImportJob.State.CHECKING: "text-bg-info",
    ImportJob.State.READY: "text-bg-warning",
    ImportJob.State.REFUSED: "text-bg-danger",
    ImportJob.State.IMPORTING: "text-bg-info",
    ImportJob.State.DONE: "text-bg-success",
    ImportJob.State.FAILED: "text-bg-danger",
    ImportJob.State.CANCELLED: "text-bg-secondary",
}


def jobs_sheet(jobs) -> Sheet:
    sheet = Sheet(
        "imports",
        _("Imports"),
        [
            _("Uploaded at"),
            _("Kind"),
            _("File"),
            _("Platform"),
            _("State"),
            _("Created"),
            _("Updated"),
            _("Unchanged"),
            _("Uploaded by"),
            _("Confirmed by"),
        ],
        numeric=frozenset({5, 6, 7}),
        empty_text=_("Nothing imported yet."),
    )
    for job in jobs:
        counts = job.result or job.preview or {}
        sheet.rows.append(
            [
                timezone.localtime(job.created_at).strftime("%Y-%m-%d %H:%M"),
                job.get_kind_display(),
                Link(job.file_name, reverse("import-detail", args=[job.pk])),
                job.platform.name if job.platform else None,
                Mark(job.get_state_display(), f"badge {STATE_CLASSES[job.state]}"),
                counts.get("created"),
                counts.get("updated"),
                counts.get("unchanged"),
                job.created_by.label if job.created_by else None,
                job.confirmed_by.label if job.confirmed_by else None,
            ]
        )
    return sheet


def added_sheet(result: dict, *, done: bool = False, header=(), cells: dict | None = None) -> Sheet:
    """The rows added (or to add), each with every column of the file's row where
    `cells` holds it (by row number), else the record's key."""
    rows = result.get("added_rows", [])
    if cells and header:
        return Sheet(
            "added",
            _("Rows added") if done else _("Rows to add"),
            [_("Row number"), *header],
            [[r["row"], *cells.get(r["row"], [r["key"]])] for r in rows],
            numeric=frozenset({0}),
        )
    return Sheet(
        "added",
        _("Rows added") if done else _("Rows to add"),
        [_("Row number"), _("Record")],
        [[r["row"], r["key"]] for r in rows],
        numeric=frozenset({0}),
    )


def changed_sheet(result: dict, *, done: bool = False) -> Sheet:
    sheet = Sheet(
        "changed",
        _("Rows changed") if done else _("Rows to change"),
        [
            _("Row number"),
            _("Record"),
            _("Field"),
            _("Before") if done else _("Now"),
            _("Now") if done else _("After the import"),
        ],
        numeric=frozenset({0}),
    )
    for r in result.get("changed_rows", []):
        for field, old, new in r["changes"]:
            sheet.rows.append([r["row"], r["key"], field, old, Mark(new, "fw-semibold")])
    return sheet


def deleted_sheet(result: dict, *, done: bool = False) -> Sheet:
    return Sheet(
        "deleted",
        _("Rows removed") if done else _("Rows to remove"),
        [_("What was removed") if done else _("What is removed")],
        [[r["key"]] for r in result.get("deleted_rows", [])],
    )


def problems_sheet(problems: list[str]) -> Sheet:
    return Sheet(
        "problems",
        _("Problems"),
        [_("No."), _("Problem")],
        [[n, p] for n, p in enumerate(problems, start=1)],
        numeric=frozenset({0}),
    )
