"""Celery tasks: thin, they take ids and dates and call one service."""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.platforms.models import Platform

from .backfills import backfill_run, backfills_mark_interrupted, backfills_requeue_stalled
from .models import Backfill, SyncRun
from .pull import (
    platform_pull_day,
    platform_pull_indicators,
    platform_pull_institutions,
    platform_pull_quality,
    platform_pull_quality_rules,
)
from .signals import night_pulled
from .source import sources_held

logger = logging.getLogger(__name__)

# The pulls are idempotent (a day is replaced whole, and only by a newer generated_at),
# so they are acknowledged only once done: a worker killed in the middle of one leaves
# the task in Redis, which hands it to another worker after the visibility timeout.
REDELIVER_IF_LOST = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**REDELIVER_IF_LOST)
def pull_platform_day(platform_id: int, day: str, trigger: str = SyncRun.Trigger.SCHEDULE) -> int:
    platform = Platform.objects.get(pk=platform_id)
    return platform_pull_day(platform=platform, day=dt.date.fromisoformat(day), trigger=trigger).pk


@shared_task(**REDELIVER_IF_LOST)
def pull_platform_night(platform_id: int) -> list[int]:
    """One platform's night: its institutions, then yesterday and the days before
    it that the platform may still revise, each day's upload statistics and its
    business indicators; then `night_pulled` (the dashboards are warmed on it)."""
    platform = Platform.objects.get(pk=platform_id)
    with sources_held():  # one connection to the platform's database or folder
        runs = [
            platform_pull_institutions(platform=platform, trigger=SyncRun.Trigger.SCHEDULE).pk,
            platform_pull_quality_rules(platform=platform, trigger=SyncRun.Trigger.SCHEDULE).pk,
        ]
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        for back in range(settings.HIPWATCH_PULL["revisit_days"] + 1):
            day = yesterday - dt.timedelta(days=back)
            for pull in (platform_pull_day, platform_pull_indicators, platform_pull_quality):
                runs.append(pull(platform=platform, day=day, trigger=SyncRun.Trigger.SCHEDULE).pk)
    night_pulled.send(sender=Platform, platform=platform)
    return runs


@shared_task
def pull_all_platforms() -> int:
    """The nightly entry point: one task per platform, so one platform's failure
    does not stop the others."""
    platforms = [p for p in Platform.objects.all() if p.can_be_pulled]
    for platform in platforms:
        try:
            pull_platform_night.delay(platform.pk)
        except Exception:  # eager mode (no Redis): the task ran here, and broke
            logger.exception("nightly pull of platform %s failed", platform.code)
    return len(platforms)


@shared_task
def run_backfill(backfill_id: int) -> int:
    """A backfill started from the platform page; the page reads its progress."""
    claimed = Backfill.objects.filter(pk=backfill_id, state=Backfill.State.QUEUED).update(
        state=Backfill.State.RUNNING
    )
    if not claimed:
        return backfill_id  # delivered twice: the first delivery runs it
    backfill = Backfill.objects.select_related("platform", "started_by").get(pk=backfill_id)
    return backfill_run(backfill).pk


@shared_task
def requeue_stalled_backfills() -> int:
    """Every few minutes (beat): mark interrupted the running backfills whose worker
    was lost, and send again the backfills the broker did not take."""
    backfills_mark_interrupted()
    return backfills_requeue_stalled()
