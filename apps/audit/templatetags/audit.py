import datetime as dt

from django import template

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """A duration in whole minutes (rounded up), for the lockout page."""
    if not value:
        return 0
    return -(-int(value.total_seconds()) // 60)
