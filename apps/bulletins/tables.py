"""The bulletin list as a `Sheet`: the page shows and the export writes the same rows."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.sheets import Link, Mark, Sheet

from .models import Bulletin


def bulletin_list_sheet(bulletins: Iterable[Bulletin]) -> Sheet:
    sheet = Sheet(
        "bulletins",
        _("Bulletins"),
        [
            _("Document number"),
            _("Title"),
            _("Corrects"),
            _("Period"),
            _("Date of issue"),
            _("Status"),
            _("Published at"),
        ],
        empty_text=_("No bulletin yet."),
    )
    for b in bulletins:
        published = timezone.localtime(b.published_at) if b.published_at else None
        sheet.rows.append(
            [
                Mark(b.number, "text-nowrap"),
                Link(b.title, reverse("bulletin-detail", args=[b.pk])),
                b.corrects.number if b.corrects else None,
                b.period_label,
                b.issue_date,
                Mark(
                    b.get_status_display(),
                    "badge text-bg-secondary" if b.is_draft else "badge text-bg-success",
                ),
                published.strftime("%Y-%m-%d %H:%M") if published else None,
            ]
        )
    return sheet
