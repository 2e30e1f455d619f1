import datetime as dt
import functools
from calendar import monthrange

import chinese_calendar


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


# China's working days as the State Council sets them each year (holidays, and the
# weekend days made working days by 调休), from the chinese-calendar package.


@functools.lru_cache(maxsize=8192)
def is_working_day(day: dt.date) -> bool:
    """Whether `day` is a working day (工作日, the make-up working days of 调休
    included) or a rest day (weekends and public holidays). A year the calendar does
    not know yet: Monday to Friday (see `calendar_knows`)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


@functools.lru_cache(maxsize=256)
def calendar_knows(year: int) -> bool:
    """Whether the holiday calendar carries `year`'s holidays and 调休."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True
