import datetime as dt

from django.core.management.base import CommandError

from apps.core.tabular import parse_date
from apps.platforms.models import Platform


def platform_arg(code: str) -> Platform:
    platform = Platform.objects.filter(code=code).first()
    if platform is None:
        raise CommandError(f"未知的平台代码“{code}”：请先用 add_platform 登记。")
    return platform


def date_arg(text: str) -> dt.date:
    day = parse_date(text)
    if day is None:
        raise CommandError(f"日期“{text}”无法识别，应为 YYYY-MM-DD。")
    return day
