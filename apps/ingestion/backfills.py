"""Backfills: a range of a platform's days pulled again on a worker, resumable,
with its progress on the platform's page and in the audit log."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.platforms.models import Platform

from .kinds import PULLED
from .models import Backfill, SyncRun
from .pull import platform_pull_institutions, platform_pull_measure, platform_pull_quality_rules
from .source import sources_held

logger = logging.getLogger(__name__)


def backfill_start(
    *,
    platform: Platform,
    first_day: dt.date,
    last_day: dt.date,
    with_institutions: bool = False,
    trigger: str = SyncRun.Trigger.PAGE,
    user=None,
) -> Backfill:
    """Record a backfill and hand it to a worker (after the transaction commits).
    Once sent, `backfill.handed_over` tells whether the broker took it."""
    if last_day < first_day:
        raise ValueError("last_day before first_day")
    backfill = Backfill.objects.create(
        platform=platform,
        first_day=first_day,
        last_day=last_day,
        with_institutions=with_institutions,
        trigger=trigger,
        days_total=(last_day - first_day).days + 1,
        started_by=user,
    )
    _audit_backfill(backfill, user, "started")
    if trigger == SyncRun.Trigger.PAGE:
        backfill.handed_over = None

        def send() -> None:
            backfill.handed_over = backfill_send(backfill=backfill)

        transaction.on_commit(send)
    return backfill


def _audit_backfill(backfill: Backfill, user, what: str) -> None:
    audit_record(
        action=AuditEvent.Action.PULL_REQUESTED,
        actor=user,
        obj=backfill.platform,
        region=backfill.platform.region,
        details={
            "backfill": backfill.pk,
            what: True,
            "first_day": backfill.first_day,
            "last_day": backfill.last_day,
            "with_institutions": backfill.with_institutions,
        },
    )


def backfill_send(*, backfill: Backfill) -> bool:
    """Hand a queued backfill to a worker. With the broker unreachable the backfill
    stays queued, False is returned, and `backfills_requeue_stalled` sends it later:
    a Redis outage must not break the page that started it."""
    from apps.core.broker import task_send

    from .tasks import run_backfill

    return task_send(run_backfill, backfill.pk)


def backfills_requeue_stalled() -> int:
    """Send again the backfills still queued `requeue_after` seconds after they were
    started (the broker was down when the page sent them). A backfill sent twice runs
    once: `run_backfill` claims it with a conditional UPDATE. Returns how many were sent."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.HIPWATCH_PULL["requeue_after"])
    stalled = Backfill.objects.filter(
        state=Backfill.State.QUEUED, trigger=SyncRun.Trigger.PAGE, created_at__lt=cutoff
    ).order_by("created_at", "id")
    return sum(backfill_send(backfill=b) for b in stalled)


def backfills_mark_interrupted(now: dt.datetime | None = None) -> int:
    """Mark interrupted the running backfills that made no progress for
    `backfill_stalled_after` seconds: their worker was killed (a task is not
    redelivered once started, so nobody else would finish it). Returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.HIPWATCH_PULL["backfill_stalled_after"])
    stalled = Backfill.objects.filter(state=Backfill.State.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    count = stalled.update(state=Backfill.State.INTERRUPTED, finished_at=now)
    if count:
        logger.warning("%d backfills lost their worker: marked interrupted", count)
    return count


@transaction.atomic
def backfill_restart(*, backfill: Backfill, user=None) -> Backfill:
    """Queue a failed or interrupted backfill again and hand it to a worker: an
    interrupted one resumes at its first day not pulled, a failed one pulls every
    day again (the pulls are idempotent). Only those two states can restart."""
    backfill = Backfill.objects.select_for_update().get(pk=backfill.pk)
    if not backfill.restartable:
        raise ValueError("only a failed or interrupted backfill restarts")
    if backfill.state == Backfill.State.FAILED:
        backfill.days_done = backfill.days_failed = 0
    backfill.state = Backfill.State.QUEUED
    backfill.finished_at = backfill.heartbeat_at = None
    backfill.save(
        update_fields=["state", "finished_at", "heartbeat_at", "days_done", "days_failed"]
    )
    _audit_backfill(backfill, user, "restarted")
    backfill.handed_over = None

    def send() -> None:
        backfill.handed_over = backfill_send(backfill=backfill)

    transaction.on_commit(send)
    return backfill


def backfill_run(backfill: Backfill, on_run=None) -> Backfill:
    """Pull every day of a backfill in order (the quality rules first), its upload
    statistics, its indicators and its quality results, recording the progress after
    each day (a restarted one from its first day not pulled); `on_run(backfill, run)`
    is told of every run (the command's progress bar)."""
    backfill.state = Backfill.State.RUNNING
    backfill.heartbeat_at = timezone.now()
    backfill.save(update_fields=["state", "heartbeat_at"])
    kwargs = {
        "platform": backfill.platform,
        "trigger": backfill.trigger,
        "user": backfill.started_by,
        "backfill": backfill,
    }
    with sources_held():  # one connection to the platform's database or folder
        first = [platform_pull_quality_rules(**kwargs)]
        if backfill.with_institutions:
            first.insert(0, platform_pull_institutions(**kwargs))
        if on_run:
            for run in first:
                on_run(backfill, run)
        for n in range(backfill.days_done, backfill.days_total):
            day = backfill.first_day + dt.timedelta(days=n)
            runs = [platform_pull_measure(day=day, kind=k.sync_kind, **kwargs) for k in PULLED]
            backfill.days_done += 1
            backfill.days_failed += any(run.outcome == SyncRun.Outcome.FAILED for run in runs)
            backfill.heartbeat_at = timezone.now()
            backfill.save(update_fields=["days_done", "days_failed", "heartbeat_at"])
            if on_run:
                for run in runs:
                    on_run(backfill, run)
    backfill.state = Backfill.State.FAILED if backfill.days_failed else Backfill.State.DONE
    backfill.finished_at = timezone.now()
    backfill.save(update_fields=["state", "finished_at"])
    return backfill
