import time

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand
from apps.ingestion.simulator import Faults, Simulator, data_from_database
from apps.platforms.management.commands._args import platform_arg

FAULTS = (
    "slow",
    "throttle",
    "unavailable",
    "server_error",
    "drop",
    "malformed",
    "unknown",
    "revise",
)


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Serve a platform's stored statistics (e.g. the demo's) through the statistics "
        "interface, with optional faults: --faults throttle=3,drop=2,slow=0.5,revise"
    )

    def add_arguments(self, parser):
        parser.add_argument("--platform", default="xinyang", help=_("Whose data to serve"))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8900)
        parser.add_argument("--token", default="simulator-token")
        parser.add_argument("--faults", default="", help=", ".join(FAULTS))
        parser.add_argument("--page-size", type=int, default=100)

    def handle(self, *args, platform, host, port, token, faults, page_size, **options):
        settings = Faults(page_size=page_size)
        for part in filter(None, (p.strip() for p in faults.split(","))):
            name, _sep, value = part.partition("=")
            if name not in FAULTS:
                raise CommandError(_("Unknown fault %(name)s.") % {"name": name})
            default = getattr(settings, name)
            setattr(
                settings, name, True if isinstance(default, bool) else type(default)(value or 1)
            )
        data = data_from_database(platform_arg(platform))
        simulator = Simulator(data, settings, token=token)
        url = simulator.start(host, port)
        self.stdout.write(
            _("Simulator of %(platform)s at %(url)s: %(days)d days, %(n)d institutions.")
            % {
                "platform": platform,
                "url": url,
                "days": len(data.days),
                "n": len(data.institutions),
            }
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            simulator.stop()
