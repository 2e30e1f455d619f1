"""Celery task: thin, calls the service (scheduled by migration 0002)."""

from celery import shared_task

from .services import campaign_tasks_check


@shared_task
def check_campaign_tasks() -> int:
    """Close the campaign tasks whose following nights meet their threshold."""
    return campaign_tasks_check()
