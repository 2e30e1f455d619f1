from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.platforms.services import tables_import

from ._args import date_arg, platform_arg


class Command(TranslatedCommand):
    help = gettext_lazy("Import a platform's catalogue of required tables (one file per edition)")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True)
        parser.add_argument("--edition", required=True, help=_("Edition name, e.g. 2023"))
        parser.add_argument("--valid-from", help=_("Effective date YYYY-MM-DD (default today)"))
        parser.add_argument(
            "--categories",
            default="",
            help=_("Applicable institution categories, comma-separated; omit for all"),
        )

    def handle(self, *args, file, platform, edition, valid_from, categories, **options):
        platform_obj = platform_arg(platform)
        valid = date_arg(valid_from) if valid_from else timezone.localdate()
        cats = [c.strip() for c in categories.replace("，", ",").split(",") if c.strip()]
        run_import(
            self,
            _("Table catalogue %(edition)s") % {"edition": edition},
            lambda: tables_import(
                source=file,
                platform=platform_obj,
                edition=edition,
                valid_from=valid,
                categories=cats,
            ),
        )
