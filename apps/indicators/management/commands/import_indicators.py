from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.indicators.services import indicators_import
from apps.platforms.management.commands._args import platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy("Import daily indicator values (date,org_code,indicator,value)")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True)

    def handle(self, *args, file, platform, **options):
        platform_obj = platform_arg(platform)
        run_import(
            self, _("Indicators"), lambda: indicators_import(source=file, platform=platform_obj)
        )
