from django.core.management.base import BaseCommand, CommandError

from apps.platforms.models import Platform
from apps.platforms.services import CommandRefused, platform_add


class Command(BaseCommand):
    help = "登记信息平台：add_platform CODE NAME [--level city|province]"

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("name")
        parser.add_argument("--level", default=Platform.Level.CITY, choices=Platform.Level.values)

    def handle(self, *args, code, name, level, **options):
        try:
            platform = platform_add(code=code, name=name, level=level)
        except CommandRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"平台 {platform.code}：{platform.name}（{platform.get_level_display()}）"
        )
