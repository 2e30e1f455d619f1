"""Reads of rectification tasks, always from `rectification_tasks_for`.

For the dashboards: `overdue_tasks(user)` (the overdue tasks in the user's scope,
most overdue first) and `task_counts_by_region(user)` (open and overdue counts per
region, a city officer's counties side by side).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import OFFICER_ROLES, User
from apps.accounts.scoping import rectification_tasks_for
from apps.regions.models import Region

from .models import RectificationTask, TaskState, overdue_condition


def tasks_in_scope(user: User, today: dt.date | None = None) -> QuerySet[RectificationTask]:
    """The user's tasks, each annotated with `is_overdue` as of today."""
    return (
        rectification_tasks_for(user)
        .with_overdue(today)
        .select_related("institution__region", "opened_by", "platform")
    )


def overdue_tasks(user: User, today: dt.date | None = None) -> QuerySet[RectificationTask]:
    """Overdue tasks in the user's scope, the longest overdue first."""
    return tasks_in_scope(user, today).overdue(today).order_by("due_date", "id")


@dataclass(frozen=True)
class RegionTaskCounts:
    region: Region
    label: str
    awaiting_answer: int  # open or reopened
    awaiting_review: int  # answered
    overdue: int
    accepted: int

    @property
    def unresolved(self) -> int:
        return self.awaiting_answer + self.awaiting_review


def _count_regions(user: User) -> list[Region]:
    """The regions the counts are given for: a city officer's own region (its 市直
    institutions) and each county under it; a county officer's county; a hospital
    user's region; for a superuser the top regions and those just under them."""
    if user.role in OFFICER_ROLES and user.region_id:
        base = [user.region]
    elif user.role == User.Role.HOSPITAL and user.institution_id:
        return [user.institution.region]
    else:
        base = list(Region.objects.filter(parent__isnull=True))
    children = Region.objects.filter(parent__in=base).order_by("sort_key")
    return [*base, *children]


def _label(region: Region, regions: list[Region]) -> str:
    has_children = any(r.parent_id == region.pk for r in regions)
    if has_children and region.level == Region.Level.CITY:
        return f"{region.name}（{_('Directly under the city')}）"
    return region.name


def task_counts_by_region(user: User, today: dt.date | None = None) -> list[RegionTaskCounts]:
    """Counts of the user's tasks per region (zeros included), in two queries."""
    today = today or timezone.localdate()
    regions = _count_regions(user)
    rows = (
        rectification_tasks_for(user)
        .values("institution__region__path")
        .annotate(
            awaiting_answer=Count("pk", filter=Q(state__in=[TaskState.OPEN, TaskState.REOPENED])),
            awaiting_review=Count("pk", filter=Q(state=TaskState.ANSWERED)),
            overdue=Count("pk", filter=overdue_condition(today)),
            accepted=Count("pk", filter=Q(state=TaskState.ACCEPTED)),
        )
    )
    keys = ("awaiting_answer", "awaiting_review", "overdue", "accepted")
    totals = {r.pk: dict.fromkeys(keys, 0) for r in regions}
    # Deepest first, so a county's institutions count for the county, not the city.
    by_depth = sorted(regions, key=lambda r: -len(r.path))
    for row in rows:
        path = row["institution__region__path"]
        region = next((r for r in by_depth if path.startswith(r.path)), None)
        if region is not None:
            for key in keys:
                totals[region.pk][key] += row[key]
    return [RegionTaskCounts(r, _label(r, regions), **totals[r.pk]) for r in regions]
