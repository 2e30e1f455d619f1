import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


def _warm_after_the_night(sender, platform, **kwargs):
    """A night moved the data version: the officers' dashboards are computed anew
    in a worker (apps/web/warm.py), not by the first officer to open one."""
    from .tasks import warm_dashboards

    try:
        warm_dashboards.delay(platform.pk)
    except Exception:  # eager mode (no Redis): it ran here, and broke; the night stands
        logger.exception("warming the dashboards of platform %s failed", platform.code)


class WebConfig(AppConfig):
    name = "apps.web"

    def ready(self):
        from apps.ingestion.signals import night_pulled

        night_pulled.connect(_warm_after_the_night, dispatch_uid="web-warm-dashboards")
