"""Celery task: thin, calls the service (scheduled by migration 0003)."""

from celery import shared_task

from apps.core.partitions import partitions_ensure


@shared_task
def ensure_partitions() -> int:
    """Create the monthly partitions of the daily statistics a year ahead."""
    return partitions_ensure()
