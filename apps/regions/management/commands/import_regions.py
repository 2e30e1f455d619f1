from django.core.management.base import BaseCommand

from apps.core.commands import run_import
from apps.regions.services import regions_import


class Command(BaseCommand):
    help = "导入行政区划文件（code,name,level,parent_code / 区划代码,名称,级别,上级区划代码）"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        run_import(self, "行政区划", lambda: regions_import(source=file))
