from django.core.management.base import BaseCommand

from apps.core.commands import run_import
from apps.platforms.management.commands._args import platform_arg
from apps.uploads.services import uploads_import


class Command(BaseCommand):
    help = "导入平台导出的每日上传统计（date,org_code,table_code,records,rejected）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True)

    def handle(self, *args, file, platform, **options):
        platform_obj = platform_arg(platform)
        run_import(self, "上传统计", lambda: uploads_import(source=file, platform=platform_obj))
