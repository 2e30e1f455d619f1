import datetime as dt
from calendar import monthrange


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    # Without stepping into the next month, which December 9999 does not have.
    return day.replace(day=monthrange(day.year, day.month)[1])


def full_months(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first days of the first and last calendar months lying wholly inside
    start..end, or None if there is none."""
    first = start if start.day == 1 else month_end(start) + dt.timedelta(days=1)
    last = month_start(end) if end == month_end(end) else month_start(end) - dt.timedelta(days=1)
    last = month_start(last)
    return (first, last) if first <= last else None
