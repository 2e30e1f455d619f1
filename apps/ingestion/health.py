"""Did last night's pull work? What the home page warns about."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from apps.platforms.models import Platform

from .models import SyncRun


def last_night(now: dt.datetime | None = None) -> dt.date:
    """The day last night's pull was for: yesterday, once the night is over
    (HIPWATCH_PULL["night_over_hour"], local time); before that, the day before."""
    local = timezone.localtime(now)
    back = 1 if local.hour >= settings.HIPWATCH_PULL["night_over_hour"] else 2
    return local.date() - dt.timedelta(days=back)


@dataclass(frozen=True)
class NightProblem:
    platform: Platform
    day: dt.date
    run: SyncRun | None  # None: nothing ran for the day

    @property
    def not_run(self) -> bool:
        return self.run is None


def night_problems(platforms, now: dt.datetime | None = None) -> list[NightProblem]:
    """For every platform that can be pulled: a problem when the latest pull of
    last night's day failed, found no statistics, or never ran."""
    day = last_night(now)
    pulled = [p for p in platforms if p.can_be_pulled]
    latest: dict[int, SyncRun] = {}
    for run in SyncRun.objects.filter(
        platform__in=pulled, kind=SyncRun.Kind.UPLOADS, day=day
    ).order_by("started_at", "id"):
        latest[run.platform_id] = run
    problems = []
    for platform in pulled:
        run = latest.get(platform.pk)
        if run is None or run.outcome in (SyncRun.Outcome.FAILED, SyncRun.Outcome.NO_DATA):
            problems.append(NightProblem(platform, day, run))
    return problems
