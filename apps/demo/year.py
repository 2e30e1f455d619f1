"""The demo's whole 2023: the bulletin's quarter (2023 Q2, from :mod:`generator`,
unchanged) and the three quarters around it, told as a story.

The second quarter is the golden data: its rows are exactly
:func:`generator.demo_uploads`, so its figures stay those of the bulletin's
attachment. The other quarters come from :data:`STORY` with their own seed
(:data:`YEAR_SEED`), from each hospital's own second-quarter pace where it has one:

- 第一季度 is weaker for most: fewer tables, more missing days, hospitals
  connected in January and February start on the day they were connected;
- 第三、第四季度 improve for most: hospitals that sent nothing begin, others add
  tables; 罗山县中医院 falls silent for three weeks in August; 罗山县妇幼保健院 is
  connected on 18 September and starts then;
- a few get worse (信阳市第五人民医院 and 潢川县中医院 in the fourth quarter,
  光山县中医院 all the second half, 息县妇幼保健院 never resumes after April).

Nothing is generated before a hospital is connected, and nothing for a hospital
not connected (未联通) or connected to the provincial platform instead
(已联通省平台): the city platform holds no data of those.

Pure standard library, like :mod:`generator`, and deterministic whatever
``PYTHONHASHSEED`` is::

    python -m apps.demo.year uploads-2023.csv
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import random
from collections import defaultdict
from dataclasses import dataclass

from apps.core.calendar import is_working_day

from . import generator as g

D = datetime.date
YEAR_START, YEAR_END = D(2023, 1, 1), D(2023, 12, 31)
QUARTERS = {
    1: (D(2023, 1, 1), D(2023, 3, 31)),
    2: (g.PERIOD_START, g.PERIOD_END),
    3: (D(2023, 7, 1), D(2023, 9, 30)),
    4: (D(2023, 10, 1), D(2023, 12, 31)),
}
# The other quarters' own seed: the second quarter keeps generator.DEFAULT_SEED.
YEAR_SEED = 20231

Row = tuple[datetime.date, str, str, int, int]

# ---------------------------------------------------------------------------
# Connection histories: (status, since), oldest first
# ---------------------------------------------------------------------------

INTEGRATION_START = D(2022, 9, 1)
UPSTREAM_SINCE = D(2022, 6, 1)
# Not connected in the bulletin's quarter, but in 联调 since (and connected later).
INTEGRATING = {"罗山县妇幼保健院": D(2023, 5, 15)}
CONNECTED_LATER = {"罗山县妇幼保健院": D(2023, 9, 18)}


def connected_since(seq: int) -> datetime.date:
    """The day a hospital the bulletin lists as connected was connected: spread
    over late 2022 and early 2023, deterministic by position."""
    return D(2022, 10, 1) + datetime.timedelta(days=(seq * 37) % 150)


def connection_history(row: dict) -> list[tuple[str, datetime.date]]:
    """The (status, since) steps of an attachment row's hospital."""
    remark, name, seq = row["remark"], row["name"], int(row["seq"])
    if remark == "未联通":
        if name in INTEGRATING:
            steps = [("integrating", INTEGRATING[name])]
            if name in CONNECTED_LATER:
                steps.append(("connected", CONNECTED_LATER[name]))
            return steps
        return [("not_connected", INTEGRATION_START)]
    if remark.startswith("已联通省"):
        return [("upstream", UPSTREAM_SINCE)]
    steps = [("integrating", INTEGRATION_START)] if seq % 3 == 0 else []
    return [*steps, ("connected", connected_since(seq))]


def connected_on(row: dict) -> datetime.date | None:
    """The day the hospital was (last) connected, or None if never."""
    days = [since for status, since in connection_history(row) if status == "connected"]
    return days[-1] if days else None


# ---------------------------------------------------------------------------
# The story
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a hospital sends in one quarter.

    ``tables``: distinct catalogue tables with records. ``first``/``last`` ("MM-DD"):
    the first and last upload days when not the quarter's (or connection's) own.
    ``silent``: a stretch without uploads ("MM-DD", "MM-DD"). ``gaps``: scattered
    days without uploads. ``volume``: records relative to the hospital's
    second-quarter pace. ``pace``: records on a weekday of an ordinary table, for
    a hospital without a second-quarter pace of its own. ``sparse``: a small sender
    uploading on this many days only. ``faint`` ("MM-DD"): a day its interface half
    works, sending a tenth of its usual records.
    """

    tables: int
    first: str | None = None
    last: str | None = None
    silent: tuple[str, str] | None = None
    gaps: int = 0
    volume: float = 1.0
    pace: float | None = None
    sparse: int = 0
    faint: str | None = None


P = Plan
# Quarter → plan, by hospital; a quarter not named is one without data (a connected
# hospital there is 第四梯队). The second quarter is the attachment's, never here.
STORY: dict[str, dict[int, Plan]] = {
    "信阳市中心医院": {
        1: P(24, gaps=5, volume=0.9),
        # The interface rebuilt at the end of June (its task is answered so).
        3: P(38, gaps=1, volume=1.1),
        # A Tuesday its interface sent a tenth of the usual: a real 突降.
        4: P(40, gaps=2, volume=1.15, faint="11-14"),
    },
    "信阳市人民医院": {
        1: P(9, gaps=10, pace=40),
        3: P(3, sparse=8, pace=30),
        4: P(8, first="11-06", gaps=2, pace=40),
    },
    "信阳市中医院": {1: P(14, gaps=3, volume=0.8), 3: P(24, gaps=2), 4: P(27, gaps=1, volume=1.05)},
    "信阳市妇幼保健院": {1: P(15, gaps=1, volume=0.7), 3: P(26), 4: P(31, volume=1.1)},
    "信阳职业技术学院附属医院": {1: P(22, gaps=3, volume=0.9), 3: P(28, gaps=1), 4: P(32, gaps=1)},
    # Worse in the fourth quarter: fewer tables, and silent since 27 December.
    "信阳市第五人民医院": {
        1: P(17, gaps=4),
        3: P(22, first="07-10", gaps=2),
        4: P(14, last="12-26", gaps=6, volume=0.7),
    },
    "信阳市第三人民医院": {3: P(6, first="09-04", gaps=1, pace=25), 4: P(12, gaps=3, pace=30)},
    "信阳市第二中医院": {4: P(9, first="11-15", pace=30)},
    # Stopped on 14 April, back in mid-August.
    "信阳市精神病医院": {
        1: P(28, gaps=2),
        3: P(20, first="08-14", gaps=2, volume=0.9),
        4: P(29, gaps=1),
    },
    "信阳市眼科医院": {3: P(7, first="08-21", pace=20), 4: P(12, gaps=2, pace=22)},
    "平桥区妇幼保健院": {4: P(6, first="12-04", pace=15)},
    "平桥区中医院": {3: P(10, first="07-17", gaps=3, pace=35), 4: P(18, gaps=2, pace=40)},
    "罗山县人民医院": {3: P(15, first="09-11", pace=120), 4: P(26, gaps=1, pace=130)},
    # Silent for three weeks in August (the front server's disk), then back.
    "罗山县中医院": {
        1: P(22, gaps=2, volume=0.85),
        3: P(30, silent=("08-07", "08-27")),
        4: P(33, gaps=1),
    },
    # Connected on 18 September (CONNECTED_LATER): starts then.
    "罗山县妇幼保健院": {3: P(5, pace=20), 4: P(11, gaps=2, pace=25)},
    # Daily in January, interrupted from 10 February; daily again from mid-October.
    "潢川县人民医院": {
        1: P(4, last="02-09", gaps=2, pace=50),
        3: P(2, sparse=5, pace=3),
        4: P(6, first="10-16", gaps=2, pace=45),
    },
    # Worse in the fourth quarter.
    # Its front server off over the Spring Festival; worse in the fourth quarter.
    "潢川县中医院": {
        1: P(20, silent=("01-21", "01-27"), gaps=2),
        3: P(26, gaps=1),
        4: P(19, gaps=9, volume=0.8),
    },
    "息县人民医院": {3: P(12, first="08-01", gaps=2, pace=90), 4: P(21, gaps=1, pace=100)},
    # Stopped on 14 April and never resumed.
    "息县妇幼保健院": {1: P(11, gaps=2)},
    "息县中心医院": {4: P(8, first="10-23", gaps=2, pace=40)},
    "淮滨县中医院": {3: P(9, first="07-03", gaps=4, pace=40), 4: P(16, gaps=2, pace=45)},
    # A few records in the summer, nothing since 8 September.
    "光山县人民医院": {3: P(2, sparse=4, last="09-08", pace=2)},
    # Worse all the second half.
    "光山县中医院": {
        1: P(18, gaps=2),
        3: P(12, first="07-24", gaps=5, volume=0.8),
        4: P(8, last="12-30", gaps=12, volume=0.6),
    },
    "光山县第二人民医院": {
        1: P(16, silent=("01-20", "01-29"), gaps=3, volume=0.85),
        3: P(24, first="07-05", gaps=2),
        4: P(27, gaps=1),
    },
    "商城县中医院": {1: P(25, gaps=1), 3: P(29, gaps=1), 4: P(31)},
    "商城县精神病医院": {3: P(5, sparse=9, pace=4), 4: P(9, first="10-09", gaps=3, pace=15)},
    "新县人民医院": {1: P(15, gaps=1, volume=0.8), 3: P(21), 4: P(23, volume=1.05)},
}

# Public holidays lower the volume like a Sunday; the make-up working days (调休) are
# ordinary weekdays: the State Council's calendar (apps.core.calendar).


# Tables of events a hospital does not have every day: the share of days with
# records (deaths within 24 hours of admission, blood bags returned, referrals,
# cultures, transfusions); elective surgery is on working days only.
EVENT_TABLES = {
    "EMR_ADMISSION_DEAD_RECORD_TF": 0.15,
    "EMR_BLOOD_DESTROY_RECORD": 0.3,
    "TB_SXZZ_ZCJLB": 0.4,
    "TB_SXZZ_HZJLB": 0.3,
    "TB_LIS_Bacteria_Result": 0.5,
    "TB_LIS_Allergy_Result": 0.4,
    "EMR_TRANSFUSION_RECORD": 0.6,
    "EMR_BLOOD_APPLY_REPORT_ITEM": 0.6,
}
SURGERY_TABLES = frozenset(
    ["TB_HIS_SS_surgery", "TB_Operation_Detail", "EMR_HOS_PREOP_DISCUSS", "EMR_BOFORE_OPERA_RECORD"]
)


RAMP_FIRST_TABLES = 3


def day_factor(day: datetime.date) -> float:
    """How busy a day is against an ordinary weekday: a public holiday like a quiet
    Sunday, a make-up working day like any working day."""
    if is_working_day(day):
        return 1.0
    if day.weekday() < 5:  # a public holiday on a weekday
        return 0.45
    return {5: 0.6, 6: 0.5}[day.weekday()]


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------


def _on(text: str) -> datetime.date:
    month, day = map(int, text.split("-"))
    return D(2023, month, day)


def _ranking(rng: random.Random, codes: list[str], sent: list[str]) -> list[str]:
    """Every catalogue table in the order the hospital would send them: its
    second-quarter tables first, then the others; common business tables earlier
    in each part (weighted keys, as the second quarter chose its tables)."""

    def keyed(part: list[str]) -> list[str]:
        keys = {code: rng.random() ** (1.0 / g._profile(code)[2]) for code in part}
        return sorted(part, key=lambda code: (-keys[code], codes.index(code)))

    return keyed(sent) + keyed([code for code in codes if code not in sent])


def _paces(rows: list[Row]) -> tuple[dict[str, float], float | None]:
    """Per table, the second quarter's records on an ordinary working day (its rest
    days weighed 0.55); and the hospital's pace, the median
    of those per unit of table volume."""
    sums: dict[str, float] = defaultdict(float)
    weight: dict[str, float] = defaultdict(float)
    for day, _org, code, records, _rejected in rows:
        sums[code] += records
        weight[code] += g.quarter_day_factor(day)
    base = {code: sums[code] / weight[code] for code in sums}
    daily = sorted(
        base[code] / g._profile(code)[1] for code in base if g._profile(code)[0] == "daily"
    )
    return base, (daily[len(daily) // 2] if daily else None)


def _quarter(
    rng: random.Random,
    org: str,
    plan: Plan,
    quarter: int,
    connected: datetime.date,
    tables: list[str],
    previous: set[str],
    base: dict[str, float],
    pace: float,
) -> list[Row]:
    start, end = QUARTERS[quarter]
    first = max(start, connected, _on(plan.first) if plan.first else start)
    last = _on(plan.last) if plan.last else end
    span = g._days(first, last)
    if plan.silent:
        quiet_from, quiet_to = (_on(t) for t in plan.silent)
        span = [d for d in span if not quiet_from <= d <= quiet_to]
    if plan.sparse:
        active = sorted(rng.sample(span[:-1], plan.sparse - 1)) + [last]
    else:
        gaps = set(rng.sample(span[:-1], min(plan.gaps, len(span) - 1)))
        active = [d for d in span if d not in gaps]

    # A hospital beginning to send (nothing the quarter before) brings its interface
    # up table by table: its first tables from the first day, the others over the
    # weeks after. A hospital already sending may add a table during the quarter.
    starting = quarter > 1 and not previous
    table_days: dict[str, list[datetime.date]] = {}
    for index, code in enumerate(tables):
        kind = g._profile(code)[0]
        if kind == "dict":
            days = rng.sample(active, min(len(active), rng.randint(1, 3)))
        elif plan.sparse:
            days = rng.sample(active, rng.randint(1, len(active)))
        else:
            begin = 0
            if starting and index >= RAMP_FIRST_TABLES:
                begin = rng.randint(1, max(1, len(active) * 3 // 5))
            elif previous and code not in previous and rng.random() < 0.5:
                begin = rng.randint(1, max(1, len(active) // 2))
            skip = rng.uniform(0.0, 0.03)
            if code in EVENT_TABLES:
                skip = 1.0 - EVENT_TABLES[code] * rng.uniform(0.7, 1.3)
            days = [d for d in active[begin:] if rng.random() >= skip]
            if code in SURGERY_TABLES:
                days = [d for d in days if is_working_day(d)]
        table_days[code] = days or [rng.choice(active)]
    # Every active day has records: the hospital's biggest table covers the others' gaps.
    primary = max(tables, key=lambda code: (g._profile(code)[1], -tables.index(code)))
    covered = {d for days in table_days.values() for d in days}
    table_days[primary] = sorted(set(table_days[primary]) | (set(active) - covered))

    rates = {code: (0.0 if rng.random() < 0.3 else rng.uniform(0.0005, 0.02)) for code in tables}
    rows = []
    for code in tables:
        kind, volume, _common = g._profile(code)
        if code in base:
            per_day = base[code] * plan.volume
        elif kind == "dict":
            per_day = pace * rng.uniform(0.5, 1.5)
        else:
            per_day = pace * volume * rng.uniform(0.4, 1.6)
        faint = _on(plan.faint) if plan.faint else None
        for d in sorted(set(table_days[code])):
            records = max(1, round(per_day * day_factor(d) * rng.uniform(0.8, 1.2)))
            if d == faint:
                records = max(1, records // 10)
            rejected = 0 if records < 20 else int(records * rates[code] * rng.uniform(0.5, 1.0))
            rows.append((d, org, code, records, rejected))
    return rows


def generate_year(
    attachment: list[dict],
    table_codes: list[str],
    second_quarter: list[Row],
    story: dict[str, dict[int, Plan]] = STORY,
    seed: int = YEAR_SEED,
) -> list[Row]:
    """The rows of the first, third and fourth quarters, sorted by day,
    org_code, table_code (the second quarter's are ``second_quarter``)."""
    codes = list(dict.fromkeys(code for code in table_codes if code))
    by_org: dict[str, list[Row]] = defaultdict(list)
    for row in second_quarter:
        by_org[row[1]].append(row)
    names = {row["name"] for row in attachment}
    if unknown := sorted(set(story) - names):
        raise KeyError(f"{unknown} in the story but not in the attachment")
    rows: list[Row] = []
    for row in attachment:
        plans = story.get(row["name"], {})
        if not plans:
            continue
        org = row["org_code"]
        connected = connected_on(row)
        if connected is None:
            raise ValueError(f"{row['name']}: a story but never connected")
        if 2 in plans:
            raise ValueError(f"{row['name']}: the second quarter is the attachment's")
        rng = random.Random(f"hipwatch-demo-year:{seed}:{org}")
        q2 = by_org.get(org, [])
        sent = sorted({r[2] for r in q2}, key=codes.index)
        ranking = _ranking(rng, codes, sent)
        base, own_pace = _paces(q2)
        # The tables of the quarter before, whose tables are sent from its first
        # day; a table new in the quarter may start during it.
        before = {1: set(), 3: set(sent)}
        for quarter in (1, 3, 4):
            plan = plans.get(quarter)
            if plan is None:
                before[quarter + 1] = set()
                continue
            if not 1 <= plan.tables <= len(codes):
                raise ValueError(f"{row['name']} Q{quarter}: tables not in 1..{len(codes)}")
            if QUARTERS[quarter][1] < connected:
                raise ValueError(f"{row['name']} Q{quarter}: not connected yet")
            pace = plan.pace or own_pace
            if pace is None:
                raise ValueError(f"{row['name']} Q{quarter}: no pace of its own, give one")
            tables = ranking[: plan.tables]
            # A pace given in the plan (a small sender in Q2) is for every table.
            own = base if plan.pace is None else {}
            qrng = random.Random(f"hipwatch-demo-year:{seed}:{org}:{quarter}")
            rows += _quarter(
                qrng, org, plan, quarter, connected, tables, before[quarter], own, pace
            )
            before[quarter + 1] = set(tables)
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows


@functools.cache
def demo_year_uploads() -> tuple[Row, ...]:
    """All the demo's rows of 2023, sorted by day, org_code, table_code. Computed
    once per process (deterministic)."""
    attachment = g.load_attachment(g.ATTACHMENT_CSV)
    codes = g.load_table_codes(g.TABLES_CSV)
    second = g.demo_uploads()
    rows = second + generate_year(attachment, codes, second)
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return tuple(rows)


@functools.cache
def demo_year_csv() -> bytes:
    """:func:`demo_year_uploads` as the platform's statistics CSV (UTF-8), the file
    `load_demo` imports. Computed once per process."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(g.UPLOADS_HEADER)
    writer.writerows(
        (day.isoformat(), org, code, records, rejected)
        for day, org, code, records, rejected in demo_year_uploads()
    )
    return out.getvalue().encode("utf-8")


@functools.cache
def last_upload_days() -> dict[str, datetime.date]:
    """Each hospital's last upload day of the year, by org_code."""
    last: dict[str, datetime.date] = {}
    for day, org, _code, _records, _rejected in demo_year_uploads():
        last[org] = max(last.get(org, day), day)
    return last


if __name__ == "__main__":  # pragma: no cover
    import sys

    out = sys.argv[1] if len(sys.argv) > 1 else "uploads-2023.csv"
    with open(out, "wb") as fh:
        fh.write(demo_year_csv())
    print(f"{len(demo_year_uploads())} rows written to {out}")
