"""Celery tasks: thin, they take ids and dates and call one service."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.platforms.models import Platform

from .models import SyncRun
from .services import platform_pull_day, platform_pull_institutions


@shared_task
def pull_platform_day(platform_id: int, day: str, trigger: str = SyncRun.Trigger.SCHEDULE) -> int:
    platform = Platform.objects.get(pk=platform_id)
    return platform_pull_day(platform=platform, day=dt.date.fromisoformat(day), trigger=trigger).pk


@shared_task
def pull_platform_night(platform_id: int) -> list[int]:
    """One platform's night: its institutions, yesterday, and the days before it
    that the platform may still revise."""
    platform = Platform.objects.get(pk=platform_id)
    runs = [platform_pull_institutions(platform=platform, trigger=SyncRun.Trigger.SCHEDULE).pk]
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    for back in range(settings.HIPWATCH_PULL["revisit_days"] + 1):
        day = yesterday - dt.timedelta(days=back)
        runs.append(
            platform_pull_day(platform=platform, day=day, trigger=SyncRun.Trigger.SCHEDULE).pk
        )
    return runs


@shared_task
def pull_all_platforms() -> int:
    """The nightly entry point: one task per platform, so one platform's failure
    does not stop the others."""
    platforms = [p for p in Platform.objects.all() if p.can_be_pulled]
    for platform in platforms:
        pull_platform_night.delay(platform.pk)
    return len(platforms)
