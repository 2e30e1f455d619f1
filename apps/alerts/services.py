"""Alerts: evaluate who is silent, record each change as a Flip, and deliver each
flip once — to the bell, by email and to the regions' group robots — with retries.

The sending services are not wrapped in one transaction on purpose: the rows that
say what to send are committed first (with the claim), then the network is called,
so a crash mid-send leaves a pending Delivery for `alerts_retry_deliveries`, and a
slow SMTP server never holds a database transaction open.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.scoping import watches_for
from apps.institutions.models import Institution
from apps.metrics.anomalies import volume_anomalies
from apps.metrics.figures import period_figures
from apps.platforms.models import ConnectionStatus, Platform

from . import texts
from .models import (
    DEFAULT_SILENT_AFTER_DAYS,
    AlertRule,
    ChannelKind,
    Delivery,
    Flip,
    Notification,
    Status,
    Watch,
)
from .selectors import flip_channels, flip_recipients
from .transports import DeliveryError, post_robot, send_email

logger = logging.getLogger(__name__)


def silent_after_days(platform: Platform) -> int:
    rule = AlertRule.objects.filter(platform=platform).first()
    return rule.silent_after_days if rule else DEFAULT_SILENT_AFTER_DAYS


def silent_after_days_set(*, platform: Platform, days: int) -> AlertRule:
    rule, _created = AlertRule.objects.update_or_create(
        platform=platform, defaults={"silent_after_days": days}
    )
    return rule


def days_without_records(
    *, today: dt.date, last_upload: dt.date | None, connected_since: dt.date
) -> int:
    """How many days, counting back from yesterday, have no records: the days after
    the last upload, or from the day of connection if it uploaded nothing since."""
    first = connected_since
    if last_upload is not None and last_upload >= first:
        first = last_upload + dt.timedelta(days=1)
    return max(0, (today - first).days)


@transaction.atomic
def alerts_evaluate(*, platform: Platform, today: dt.date) -> list[Flip]:
    """Bring the platform's watches up to `today` and record every change of status.

    An institution connected to the platform on `today` is **silent** when it has no
    records on any of the N days before today (today - N … today - 1, N the platform's
    `silent_after_days`, default 3) and was connected on all of them; an institution
    that never uploaded since it was connected counts from the day it was connected.
    It is back (ok) as soon as one of those days has records. Today's own records,
    if any, count too. Where the platform's rule asks for it (`alert_on_drops`), an
    institution that is not silent but whose records of yesterday are a drop of
    metrics.md's volume anomalies is in **drop** (突降), and back to ok the first day
    they are not. A Flip is created only when the status changes, so running
    this twice for the same day creates nothing the second time; an evaluation older
    than a watch's last one leaves it alone. Institutions no longer connected stop
    being watched (their watch is removed without a flip).

    Last uploads and connection dates come from `period_figures`, the one place
    figures are computed (a fixed number of aggregate queries, whatever the count).
    """
    rule = AlertRule.objects.filter(platform=platform).first()
    n = rule.silent_after_days if rule else DEFAULT_SILENT_AFTER_DAYS
    now = timezone.now()
    watched = Institution.objects.filter(connections__platform=platform)
    figures = period_figures(
        institutions=watched, platform=platform, start=today, end=today, with_scores=False
    )
    # 突降 on the last complete day (metrics.md's volume anomalies), where the rule asks.
    yesterday = today - dt.timedelta(days=1)
    drops = (
        {
            inst: found[-1]
            for inst, found in volume_anomalies(
                institutions=watched, platform=platform, start=yesterday, end=yesterday
            ).items()
            if found[-1].drop
        }
        if rule and rule.alert_on_drops
        else {}
    )
    watches = {
        w.institution_id: w for w in Watch.objects.select_for_update().filter(platform=platform)
    }
    connected: set[int] = set()
    created: list[Watch] = []
    updated: list[Watch] = []
    flips: list[Flip] = []
    for row in figures.rows:
        if row.connection_status != ConnectionStatus.CONNECTED or row.connected_since is None:
            continue
        inst_id = row.institution.pk
        connected.add(inst_id)
        days = days_without_records(
            today=today, last_upload=row.last_upload_date, connected_since=row.connected_since
        )
        drop = drops.get(inst_id)
        status = Status.SILENT if days >= n else Status.DROP if drop else Status.OK
        watch = watches.get(inst_id)
        if watch is None:
            watch = Watch(institution_id=inst_id, platform=platform, changed_at=now)
            old = Status.OK
            created.append(watch)
        elif watch.evaluated_on > today:
            continue
        else:
            old = watch.status
            updated.append(watch)
        if status != old:
            watch.changed_at = now
            flips.append(
                Flip(
                    institution_id=inst_id,
                    platform=platform,
                    old_status=old,
                    new_status=status,
                    last_upload_date=row.last_upload_date,
                    silent_days=days,
                    records=drop.records if status == Status.DROP else None,
                    usual=drop.median if status == Status.DROP else None,
                    day=today,
                )
            )
        watch.status = status
        watch.last_upload_date = row.last_upload_date
        watch.silent_days = days
        watch.evaluated_on = today
    Watch.objects.filter(platform=platform).exclude(institution_id__in=connected).delete()
    Watch.objects.bulk_create(created)
    Watch.objects.bulk_update(
        updated, ["status", "last_upload_date", "silent_days", "changed_at", "evaluated_on"]
    )
    Flip.objects.bulk_create(flips)
    if flips:
        logger.info("alerts: %s on %s: %d status changes", platform.code, today, len(flips))
    return flips


def alerts_process_flips(*, now: dt.datetime | None = None) -> int:
    """Deliver every flip not yet processed; returns how many this call processed."""
    ids = list(
        Flip.objects.filter(processed_at__isnull=True).order_by("id").values_list("pk", flat=True)
    )
    return sum(flip_process(flip_id=pk, now=now) for pk in ids)


def flip_process(*, flip_id: int, now: dt.datetime | None = None) -> bool:
    """Claim the flip and deliver it: a notification for each recipient, an email to
    each recipient with an address, a post to each robot channel of its regions.

    The claim is a conditional UPDATE that succeeds for one caller only, so two
    workers processing the same flips never send twice. False when already claimed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Flip.objects.filter(pk=flip_id, processed_at__isnull=True).update(
            processed_at=now
        )
        if not claimed:
            return False
        flip = Flip.objects.select_related("institution__region", "platform").get(pk=flip_id)
        recipients = list(flip_recipients(flip.institution))
        Notification.objects.bulk_create([Notification(user=u, flip=flip) for u in recipients])
        subject, body = texts.flip_subject(flip), texts.flip_body(flip)
        deliveries = [
            Delivery(
                kind=Delivery.Kind.EMAIL,
                flip=flip,
                user=user,
                target=user.email,
                subject=subject,
                body=body,
                next_attempt_at=now,
            )
            for user in recipients
            if user.email
        ]
        robot = texts.robot_text(flip)
        deliveries += [
            Delivery(
                kind=channel.kind,
                flip=flip,
                channel=channel,
                target=str(channel),
                body=robot,
                next_attempt_at=now,
            )
            for channel in flip_channels(flip.institution)
        ]
        Delivery.objects.bulk_create(deliveries)
    ids = Delivery.objects.filter(flip=flip).values_list("pk", flat=True)
    for pk in ids:
        delivery_attempt(delivery_id=pk, now=now)
    return True


def _backoff(attempt: int) -> dt.timedelta:
    """Wait after failed attempt number `attempt` (1, 2 …): doubling, capped."""
    conf = settings.HIPWATCH_ALERTS
    return dt.timedelta(seconds=min(conf["backoff_max"], conf["backoff"] * 2 ** (attempt - 1)))


def delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> bool:
    """Try once to send a due pending delivery. The attempt is claimed first (the
    attempts counter moves only for the caller that saw it unchanged), and the next
    attempt is booked at once, so a worker that dies mid-send is retried later.
    True when sent."""
    now = now or timezone.now()
    delivery = Delivery.objects.select_related("channel").get(pk=delivery_id)
    attempt = delivery.attempts + 1
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id, state=Delivery.State.PENDING, attempts=delivery.attempts
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(attempts=F("attempts") + 1, next_attempt_at=now + _backoff(attempt))
    )
    if not claimed:
        return False
    try:
        if delivery.kind in (Delivery.Kind.EMAIL, Delivery.Kind.DIGEST):
            send_email(to=delivery.target, subject=delivery.subject, body=delivery.body)
        else:
            channel = delivery.channel
            secret = channel.secret if channel.kind == ChannelKind.DINGTALK else ""
            post_robot(url=channel.webhook_url, content=delivery.body, secret=secret)
    except DeliveryError as exc:
        gave_up = attempt >= settings.HIPWATCH_ALERTS["max_attempts"]
        Delivery.objects.filter(pk=delivery_id).update(
            last_error=str(exc)[:2000],
            state=Delivery.State.FAILED if gave_up else Delivery.State.PENDING,
            next_attempt_at=None if gave_up else now + _backoff(attempt),
        )
        log = logger.error if gave_up else logger.warning
        log(
            "alerts: %s to %s failed (attempt %d%s): %s",
            delivery.kind,
            delivery.target,
            attempt,
            ", giving up" if gave_up else "",
            exc,
        )
        return False
    Delivery.objects.filter(pk=delivery_id).update(
        state=Delivery.State.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    logger.info("alerts: %s to %s sent (attempt %d)", delivery.kind, delivery.target, attempt)
    return True


def alerts_retry_deliveries(*, now: dt.datetime | None = None) -> int:
    """Attempt every pending delivery whose next attempt is due; returns how many were sent."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)
    )
    return sum(delivery_attempt(delivery_id=pk, now=now) for pk in due)


def alerts_send_digests(*, today: dt.date, now: dt.datetime | None = None) -> int:
    """Email each active officer (city or county, with an address) the silent
    institutions in their scope, once a day: the day's digest is a Delivery that the
    database allows once per officer and day. No email when nothing is silent.
    Returns how many digests this call created."""
    now = now or timezone.now()
    done = set(
        Delivery.objects.filter(kind=Delivery.Kind.DIGEST, digest_day=today).values_list(
            "user_id", flat=True
        )
    )
    officers = (
        User.objects.filter(
            is_active=True, role__in=[User.Role.CITY, User.Role.COUNTY], region__isnull=False
        )
        .exclude(email="")
        .exclude(pk__in=done)
        .select_related("region")
    )
    created = 0
    for officer in officers:
        silent = list(
            watches_for(officer)
            .filter(status=Status.SILENT)
            .select_related("institution__region", "platform")
            .order_by("institution__region__sort_key", "institution__org_code", "platform__code")
        )
        if not silent:
            continue
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    kind=Delivery.Kind.DIGEST,
                    digest_day=today,
                    user=officer,
                    target=officer.email,
                    subject=texts.digest_subject(today, len(silent)),
                    body=texts.digest_body(today, silent),
                    next_attempt_at=now,
                )
        except IntegrityError:
            continue  # another worker made today's digest for this officer
        created += 1
        delivery_attempt(delivery_id=delivery.pk, now=now)
    return created


@transaction.atomic
def notifications_mark_read(*, user: User, now: dt.datetime | None = None) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


@transaction.atomic
def notification_mark_read(*, notification: Notification, now: dt.datetime | None = None) -> None:
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])
