from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.platforms.management.commands._args import platform_arg
from apps.quality.services import quality_import


class Command(TranslatedCommand):
    help = gettext_lazy("Import daily data-quality results (date,org_code,rule,checked,failed)")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True)

    def handle(self, *args, file, platform, **options):
        platform_obj = platform_arg(platform)
        run_import(
            self, _("Quality results"), lambda: quality_import(source=file, platform=platform_obj)
        )
