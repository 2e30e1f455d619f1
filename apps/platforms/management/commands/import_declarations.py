from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.platforms.services import declarations_import

from ._args import platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Import the tables each institution declares for an edition (org_code,table_code)"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True)
        parser.add_argument("--edition", required=True, help=_("Edition name, e.g. 2023"))

    def handle(self, *args, file, platform, edition, **options):
        platform_obj = platform_arg(platform)
        run_import(
            self,
            _("Declared tables"),
            lambda: declarations_import(source=file, platform=platform_obj, edition=edition),
        )
