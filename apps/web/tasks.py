"""Celery tasks of the pages: thin, they take ids and call one service."""

from celery import shared_task

from apps.platforms.models import Platform

from .warm import dashboards_warm


@shared_task
def warm_dashboards(platform_id: int) -> int:
    platform = Platform.objects.filter(pk=platform_id).first()
    return dashboards_warm(platform) if platform is not None else 0
