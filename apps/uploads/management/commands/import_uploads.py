from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.platforms.management.commands._args import platform_arg
from apps.uploads.services import uploads_import


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Import a platform's daily upload statistics (date,org_code,table_code,records,rejected)"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True)

    def handle(self, *args, file, platform, **options):
        platform_obj = platform_arg(platform)
        run_import(
            self, _("Upload statistics"), lambda: uploads_import(source=file, platform=platform_obj)
        )
