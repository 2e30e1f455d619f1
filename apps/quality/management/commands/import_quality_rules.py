from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.imports.kinds import quality_rules_then_waiting
from apps.platforms.management.commands._args import platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Import a platform's data-quality rules (code,name,dimension,table_code,description)"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True)

    def handle(self, *args, file, platform, **options):
        platform_obj = platform_arg(platform)
        run_import(
            self,
            _("Quality rules"),
            lambda: quality_rules_then_waiting(source=file, platform=platform_obj),
        )
