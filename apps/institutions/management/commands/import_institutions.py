from django.core.management.base import BaseCommand

from apps.core.commands import run_import
from apps.institutions.services import institutions_import


class Command(BaseCommand):
    help = "导入机构名录（org_code,name,region_code,category,grade）"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        run_import(self, "机构名录", lambda: institutions_import(source=file))
