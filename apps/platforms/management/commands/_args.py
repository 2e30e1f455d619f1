import datetime as dt

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from apps.core.tabular import date_problem, parse_date
from apps.platforms.models import Platform


def platform_arg(code: str) -> Platform:
    platform = Platform.objects.filter(code=code).first()
    if platform is None:
        raise CommandError(
            _("Unknown platform code “%(code)s”: register it with add_platform first.")
            % {"code": code}
        )
    return platform


def date_arg(text: str) -> dt.date:
    day = parse_date(text)
    if day is None:
        raise CommandError(date_problem(text) + " " + _("Expected YYYY-MM-DD."))
    return day
