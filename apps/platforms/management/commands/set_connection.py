from django.core.management.base import BaseCommand, CommandError

from apps.platforms.models import ConnectionStatus
from apps.platforms.services import CommandRefused, connections_set_status

from ._args import date_arg, platform_arg


class Command(BaseCommand):
    help = "设置机构联通状态：set_connection --platform CODE --status STATUS [--since DATE] ORG_CODE..."

    def add_arguments(self, parser):
        parser.add_argument("org_codes", nargs="+")
        parser.add_argument("--platform", required=True)
        parser.add_argument("--status", required=True, choices=ConnectionStatus.values)
        parser.add_argument("--since", help="生效日期 YYYY-MM-DD（默认今天）")

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
            f"{len(changes)} 家机构改为“{label}”，{len(set(org_codes)) - len(changes)} 家原已是该状态。"
        )
