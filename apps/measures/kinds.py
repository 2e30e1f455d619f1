"""The declaration of a kind of daily measure, and the checks every kind shares:
of a file's row (text cells) and of a pulled item (JSON values)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from apps.core.tabular import FIRST_DAY, LAST_DAY, MAX_COUNT
from apps.institutions.services import is_valid_org_code


@dataclass(frozen=True)
class Value:
    """One counted column of a kind: its field, its Chinese header and what a file's
    cell that is not a count is told (`%(value)s`)."""

    name: str
    header: str
    problem: Callable[[], str]


@dataclass(frozen=True)
class Measure:
    """A kind of daily measure, keyed by (day, institution, `code`).

    Files and pulls: `code` is the field naming what is counted (a table, an
    indicator, a rule), `code_header` its Chinese header, `code_ok` its syntax and
    `code_problem` (`%(code)s`) a file's word on a malformed one; `values` the
    counted columns. `relation(values)` returns a file's and an item's word on
    counts that cannot go together, or None. `repeats` (`%(other)d`) and `twice`
    say a key seen twice in a file and in a pull.

    Storage: `row` builds the kind's row (day, org_code, code, *values, number);
    `daily_model` holds the days, its code in `code_column` (the code itself, or
    the id of a catalogue entry); `catalogue(platform)` gives the ids of the codes
    known (None: any well-formed code is stored as it is) and `unknown_code`
    (`%(code)s`, `%(n)d`) refuses a file naming another; `roll_up(platform,
    written, gone)` writes the days and brings the kind's roll-ups along, and
    `replace_day_fast` may replace a day in one pass where the database allows."""

    name: str
    code: str
    code_header: str
    code_ok: Callable[[str], bool]
    code_problem: Callable[[], str]
    values: tuple[Value, ...]
    repeats: Callable[[], str]
    twice: Callable[[], str]
    row: Callable
    daily_model: type
    code_column: str
    roll_up: Callable
    catalogue: Callable | None = None
    unknown_code: Callable[[], str] | None = None
    relation: Callable[[tuple], tuple[str, str] | None] | None = None
    replace_day_fast: Callable | None = None
    value_names: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "value_names", tuple(v.name for v in self.values))

    @property
    def columns(self) -> dict[str, list[str]]:
        """The file's columns: English name → its Chinese header."""
        return {
            "date": ["日期"],
            "org_code": ["机构代码"],
            self.code: [self.code_header],
            **{v.name: [v.header] for v in self.values},
        }

    def code_of(self, row) -> str:
        return getattr(row, self.code)

    def values_of(self, row) -> tuple[int, ...]:
        return tuple(getattr(row, name) for name in self.value_names)

    def key_text(self, row) -> str:
        return f"{row.day.isoformat()} {row.org_code} {self.code_of(row)}"


# ---------------------------------------------------------------------------
# A pulled item (JSON: an API's item, a database's row, a file's row as read)
# ---------------------------------------------------------------------------

# A night's items repeat a few thousand codes a hundred times each: each is checked once.
_org_ok = functools.lru_cache(maxsize=65_536)(is_valid_org_code)


def is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def date_problem(name: str, value, *, time: bool = False) -> str | None:
    """Why `value`, an item's `name`, is not a day (with `time`, a moment) of the
    years rows may be dated; None if it is one. Another year would be stored as sent
    and break the date arithmetic after it (a heartbeat in 9999 does not survive its
    conversion to UTC, nor a day in December 9999 the month after it)."""
    try:
        moment = (dt.datetime if time else dt.date).fromisoformat(value)
    except (TypeError, ValueError):
        return _("bad %(field)s") % {"field": name}
    if not FIRST_DAY.year <= moment.year <= LAST_DAY.year:
        return _("%(field)s %(value)s is outside the years %(first)d–%(last)d") % {
            "field": name,
            "value": value,
            "first": FIRST_DAY.year,
            "last": LAST_DAY.year,
        }
    return None


def _item_day_problem(item: dict, day: dt.date) -> str | None:
    """A day's items are of the day asked and need not say so; an item that says its
    day (`date`, as the rows of a file or a database view do) must say that one."""
    if "date" not in item:
        return None
    problem = date_problem("date", item["date"])
    if problem is None and dt.date.fromisoformat(item["date"]) != day:
        problem = _("dated %(date)s, not the day asked (%(day)s)") % {
            "date": item["date"],
            "day": day.isoformat(),
        }
    return problem


def item_problem(measure: Measure, item, day: dt.date) -> str | None:
    """Why a pulled item of `day` cannot be stored, or None if it can. A
    well-formed code the kind's catalogue lacks is not a reason: such items wait
    for review."""
    if not isinstance(item, dict):
        return _("not an object")
    org, code = item.get("org_code"), item.get(measure.code)
    if not isinstance(org, str) or not _org_ok(org):
        return _("bad or missing %(field)s") % {"field": "org_code"}
    if not isinstance(code, str) or not measure.code_ok(code):
        return _("bad or missing %(field)s") % {"field": measure.code}
    for name in measure.value_names:
        if name not in item:
            return _("missing %(field)s") % {"field": name}
        if not is_count(item[name]):
            return _("%(field)s is not a whole number of 0 or more") % {"field": name}
    if measure.relation is not None:
        problem = measure.relation(tuple(item[name] for name in measure.value_names))
        if problem:
            return problem[1]
    return _item_day_problem(item, day)


def item_row(measure: Measure, item: dict, day: dt.date):
    """A checked item as the kind's row."""
    return measure.row(
        day, item["org_code"], item[measure.code], *(item[n] for n in measure.value_names)
    )


def rows_of_items(measure: Measure, items, day: dt.date, known: dict, reject):
    """The rows of a pull's `items` ((page, index, item) each) that can be stored,
    each (institution, code) once; the others are told to `reject(page, index,
    item, reason)`. An alias and the registry's code name the same institution."""
    seen: set[tuple] = set()
    for page, index, item in items:
        reason = item_problem(measure, item, day)
        key = (
            None if reason else (known.get(item["org_code"], item["org_code"]), item[measure.code])
        )
        if reason is None and key in seen:
            reason = measure.twice()
        if reason:
            reject(page, index, item, reason)
            continue
        seen.add(key)
        yield item_row(measure, item, day)


def problems_text(refused: Sequence[tuple[int, list[str]]]) -> list[str]:
    """Row-numbered problems, as a refused file lists them."""
    return [
        _("Row %(row)d: ") % {"row": number} + problem
        for number, problems in refused
        for problem in problems
    ]
