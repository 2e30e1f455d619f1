from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.commands import TranslatedCommand, run_import
from apps.institutions.services import institutions_import


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Import the institution registry (org_code,name,region_code,category,grade)"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        run_import(self, _("Institution registry"), lambda: institutions_import(source=file))
