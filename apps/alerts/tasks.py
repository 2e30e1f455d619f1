"""Celery tasks: thin, each calls the services (scheduled by migration 0002)."""

from celery import shared_task
from django.utils import timezone

from apps.platforms.models import Platform

from .services import (
    alerts_evaluate,
    alerts_process_flips,
    alerts_retry_deliveries,
    alerts_send_digests,
)


@shared_task
def evaluate_alerts() -> int:
    """Evaluate every platform for today, then deliver the new flips."""
    today = timezone.localdate()
    for platform in Platform.objects.all():
        alerts_evaluate(platform=platform, today=today)
    return alerts_process_flips()


@shared_task
def retry_deliveries() -> int:
    return alerts_retry_deliveries()


@shared_task
def send_digests() -> int:
    return alerts_send_digests(today=timezone.localdate())
