from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.core.commands import run_import
from apps.platforms.services import tables_import

from ._args import date_arg, platform_arg


class Command(BaseCommand):
    help = "导入平台的必传数据表目录（一个版本一个文件）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--platform", required=True)
        parser.add_argument("--edition", required=True, help="版本名称，如 2023")
        parser.add_argument("--valid-from", help="生效日期 YYYY-MM-DD（默认今天）")
        parser.add_argument(
            "--categories", default="", help="适用机构类别，逗号分隔；省略则适用全部"
        )

    def handle(self, *args, file, platform, edition, valid_from, categories, **options):
        platform_obj = platform_arg(platform)
        valid = date_arg(valid_from) if valid_from else timezone.localdate()
        cats = [c.strip() for c in categories.replace("，", ",").split(",") if c.strip()]
        run_import(
            self,
            f"数据表目录 {edition}",
            lambda: tables_import(
                source=file,
                platform=platform_obj,
                edition=edition,
                valid_from=valid,
                categories=cats,
            ),
        )
