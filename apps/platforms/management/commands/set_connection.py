from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand
from apps.platforms.models import ConnectionStatus
from apps.platforms.services import CommandRefused, connections_set_status

from ._args import date_arg, platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Set institutions' connection status: "
        "set_connection --platform CODE --status STATUS [--since DATE] ORG_CODE..."
    )

    def add_arguments(self, parser):
        parser.add_argument("org_codes", nargs="+")
        parser.add_argument("--platform", required=True)
        parser.add_argument("--status", required=True, choices=ConnectionStatus.values)
        parser.add_argument("--since", help=_("Effective date YYYY-MM-DD (default today)"))

    def handle(self, *args, org_codes, platform, status, since, **options):
        try:
            changes = connections_set_status(
                org_codes=org_codes,
                platform=platform_arg(platform),
                status=status,
                since=date_arg(since) if since else None,
                source="set_connection",
            )
        except CommandRefused as exc:
            raise CommandError(str(exc)) from None
        label = ConnectionStatus(status).label
        self.stdout.write(
            _("%(changed)d institutions changed to “%(status)s”, %(same)d already had that status.")
            % {
                "changed": len(changes),
                "status": label,
                "same": len(set(org_codes)) - len(changes),
            }
        )
