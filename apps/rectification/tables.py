"""The task list and the counts per region, as `Sheet`s: the page shows and the
export writes the same rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.sheets import Link, Sheet

from .models import RectificationTask
from .selectors import RegionTaskCounts


def task_sheet(tasks: Iterable[RectificationTask], today: dt.date) -> Sheet:
    """`tasks` annotated by `with_overdue(today)`."""
    sheet = Sheet(
        key="tasks",
        title=_("Rectification tasks"),
        headers=[
            _("No."),
            _("Region"),
            _("Institution"),
            _("Institution code"),
            _("Problem"),
            _("Due date"),
            _("State"),
            _("Days overdue"),
            _("Opened by"),
            _("Opened on"),
        ],
        numeric=frozenset({0, 7}),
    )
    for number, task in enumerate(tasks, start=1):
        opener = task.opened_by
        sheet.rows.append(
            [
                number,
                task.institution.region_label,
                task.institution.name,
                task.institution.org_code,
                Link(task.problem, reverse("rectification-detail", args=[task.pk])),
                task.due_date,
                task.get_state_display(),
                task.days_overdue(today),
                opener.label,
                timezone.localtime(task.opened_at).date(),
            ]
        )
    return sheet


def region_sheet(counts: Iterable[RegionTaskCounts]) -> Sheet:
    sheet = Sheet(
        key="regions",
        title=_("Tasks by region"),
        headers=[
            _("Region"),
            _("Awaiting answer"),
            _("Awaiting review"),
            _("Open"),
            _("Overdue"),
            _("Accepted"),
        ],
        numeric=frozenset({1, 2, 3, 4, 5}),
    )
    for c in counts:
        sheet.rows.append(
            [c.label, c.awaiting_answer, c.awaiting_review, c.unresolved, c.overdue, c.accepted]
        )
    return sheet
