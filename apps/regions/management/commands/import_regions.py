from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.regions.services import regions_import


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Import an administrative regions file "
        "(code,name,level,parent_code, or the Chinese headers)"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        run_import(self, _("Administrative regions"), lambda: regions_import(source=file))
