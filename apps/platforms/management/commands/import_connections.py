from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.platforms.services import connections_import

from ._args import platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy("Import connection statuses in bulk (org_code,status,since)")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True)

    def handle(self, *args, file, platform, **options):
        platform_obj = platform_arg(platform)
        run_import(
            self,
            _("Connection statuses"),
            lambda: connections_import(source=file, platform=platform_obj),
        )
