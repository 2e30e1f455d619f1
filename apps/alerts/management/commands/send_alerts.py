from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.alerts.services import (
    alerts_evaluate,
    alerts_process_flips,
    alerts_retry_deliveries,
)
from apps.core.commands import TranslatedCommand
from apps.platforms.models import Platform


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Evaluate silent institutions on every platform, send the new alerts and retry "
        "failed deliveries, once."
    )

    def handle(self, *args, **options):
        today = timezone.localdate()
        flips = sum(
            len(alerts_evaluate(platform=platform, today=today))
            for platform in Platform.objects.all()
        )
        processed = alerts_process_flips()
        resent = alerts_retry_deliveries()
        self.stdout.write(
            _("Status changes: %(flips)d; processed: %(processed)d; retries sent: %(resent)d")
            % {"flips": flips, "processed": processed, "resent": resent}
        )
