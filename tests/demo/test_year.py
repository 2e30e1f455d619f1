"""The demo's year: the second quarter is the attachment's rows unchanged, the
other quarters follow the story and each hospital's connection history. No
database: the generated rows themselves (tests/demo/test_load_demo.py imports them).
"""

import csv
import datetime
import hashlib
import io
import os
import subprocess
import sys
from collections import defaultdict

import pytest

from apps.core.calendar import is_working_day
from apps.demo import generator as g
from apps.demo import year as y

D = datetime.date


@pytest.fixture(scope="module")
def attachment():
    return g.load_attachment(g.ATTACHMENT_CSV)


@pytest.fixture(scope="module")
def rows():
    return y.demo_year_uploads()


@pytest.fixture(scope="module")
def by_org_quarter(rows):
    out = defaultdict(list)
    for row in rows:
        out[row[1], (row[0].month - 1) // 3 + 1].append(row)
    return out


def quarter_of(day):
    return (day.month - 1) // 3 + 1


def test_the_second_quarter_is_the_attachments_rows_unchanged(rows):
    start, end = y.QUARTERS[2]
    assert [r for r in rows if start <= r[0] <= end] == g.demo_uploads()


def test_the_year_and_nothing_else(rows):
    assert min(r[0] for r in rows) == y.YEAR_START
    assert max(r[0] for r in rows) == y.YEAR_END
    assert rows == tuple(sorted(rows, key=lambda r: (r[0], r[1], r[2])))
    assert len({(r[0], r[1], r[2]) for r in rows}) == len(rows)
    assert all(r[3] >= 1 for r in rows)
    catalogue = set(g.load_table_codes(g.TABLES_CSV))
    assert {r[2] for r in rows} <= catalogue


def test_rejected_is_small(rows):
    for _day, _org, _table, records, rejected in rows:
        assert 0 <= rejected <= records * 0.02
        if records < 20:
            assert rejected == 0


def test_nothing_before_a_hospital_is_connected_nor_for_those_never_connected(attachment, rows):
    first = {}
    for day, org, *_ in rows:
        first.setdefault(org, day)
    for row in attachment:
        connected = y.connected_on(row)
        if connected is None:  # 未联通, 已联通省平台
            assert row["org_code"] not in first, row["name"]
        elif row["org_code"] in first:
            assert first[row["org_code"]] >= connected, row["name"]
    # Connected in September after 联调 since May: it starts on the day.
    late = next(r for r in attachment if r["name"] == "罗山县妇幼保健院")
    assert y.connection_history(late) == [
        ("integrating", D(2023, 5, 15)),
        ("connected", D(2023, 9, 18)),
    ]
    assert first[late["org_code"]] == D(2023, 9, 18)
    # Connected during the first quarter: it starts then, not on 1 January.
    joined = [r for r in attachment if y.connected_on(r) and y.connected_on(r) > y.YEAR_START]
    assert any(first.get(r["org_code"]) == y.connected_on(r) for r in joined)


def test_every_quarter_follows_the_story(attachment, by_org_quarter):
    catalogue = set(g.load_table_codes(g.TABLES_CSV))
    for row in attachment:
        plans = y.STORY.get(row["name"], {})
        for quarter in (1, 3, 4):
            got = by_org_quarter[row["org_code"], quarter]
            plan = plans.get(quarter)
            if plan is None:
                assert not got, (row["name"], quarter)
                continue
            where = (row["name"], quarter)
            assert len({r[2] for r in got if r[2] in catalogue}) == plan.tables, where
            start, end = y.QUARTERS[quarter]
            last = max(r[0] for r in got)
            assert last == (D(2023, *map(int, plan.last.split("-"))) if plan.last else end), where
            days = {r[0] for r in got}
            if plan.sparse:
                assert len(days) == plan.sparse, where
            if plan.silent:
                quiet = [D(2023, *map(int, t.split("-"))) for t in plan.silent]
                assert not [d for d in days if quiet[0] <= d <= quiet[1]], where


def test_first_quarter_weaker_later_quarters_better_and_some_worse(attachment, by_org_quarter):
    def tables(row, quarter):
        return len({r[2] for r in by_org_quarter[row["org_code"], quarter]})

    sending = [r for r in attachment if r["tables_uploaded"]]
    weaker_q1 = [r["name"] for r in sending if tables(r, 1) < tables(r, 2)]
    assert len(weaker_q1) >= 8
    better_q4 = [r["name"] for r in sending if tables(r, 4) > tables(r, 2)]
    assert len(better_q4) > len(sending) / 2
    # Hospitals that sent nothing in the bulletin's quarter begin later in the year.
    began = [r["name"] for r in attachment if r["remark"] == "未上传数据" and tables(r, 4)]
    assert len(began) >= 5
    worse_q4 = {r["name"] for r in attachment if 0 < tables(r, 4) < tables(r, 3)}
    assert {"信阳市第五人民医院", "潢川县中医院", "光山县中医院"} <= worse_q4


def test_a_hospital_goes_silent_for_three_weeks_in_august(attachment, by_org_quarter):
    row = next(r for r in attachment if r["name"] == "罗山县中医院")
    days = sorted({r[0] for r in by_org_quarter[row["org_code"], 3]})
    gaps = [(a, b) for a, b in zip(days, days[1:], strict=False) if (b - a).days > 1]
    assert (D(2023, 8, 6), D(2023, 8, 28)) in gaps  # silent 7-27 August, 21 days
    assert days[-1] == D(2023, 9, 30)


def test_weekdays_are_busier_than_weekends_and_holidays(rows):
    per_day = defaultdict(int)
    for day, _org, _code, records, _rejected in rows:
        if quarter_of(day) != 2:
            per_day[day] += records
    weekday = [v for d, v in per_day.items() if is_working_day(d)]
    weekend = [v for d, v in per_day.items() if d.weekday() >= 5 and not is_working_day(d)]
    holiday = [v for d, v in per_day.items() if d.weekday() < 5 and not is_working_day(d)]
    assert holiday and len(weekend) > 50  # Golden Week, the Spring Festival …
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    assert mean(weekend) < 0.7 * mean(weekday)
    assert mean(holiday) < 0.7 * mean(weekday)


def test_the_csv_is_the_rows(rows):
    read = list(csv.reader(io.StringIO(y.demo_year_csv().decode("utf-8"))))
    assert read[0] == g.UPLOADS_HEADER
    assert len(read) == len(rows) + 1
    d, org, table, records, rejected = rows[-1]
    assert read[-1] == [d.isoformat(), org, table, str(records), str(rejected)]


def test_deterministic_and_independent_of_hash_seed(rows, attachment):
    codes = g.load_table_codes(g.TABLES_CSV)
    again = y.generate_year(attachment, codes, g.demo_uploads())
    assert tuple(sorted(again + g.demo_uploads(), key=lambda r: (r[0], r[1], r[2]))) == rows
    assert y.generate_year(attachment, codes, g.demo_uploads(), seed=7) != again

    code = (
        "import hashlib, sys; from apps.demo import year; "
        "print(sys.flags.hash_randomization, hashlib.sha256(year.demo_year_csv()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # this process's is another (random)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["1", hashlib.sha256(y.demo_year_csv()).hexdigest()]


def test_refuses_a_story_it_cannot_tell(attachment):
    codes = g.load_table_codes(g.TABLES_CSV)
    q2 = g.demo_uploads()
    with pytest.raises(KeyError):
        y.generate_year(attachment, codes, q2, story={"不存在医院": {1: y.Plan(3)}})
    with pytest.raises(ValueError):  # never connected
        y.generate_year(attachment, codes, q2, story={"新县妇幼保健院": {3: y.Plan(3, pace=5)}})
    with pytest.raises(ValueError):  # the second quarter is the attachment's
        y.generate_year(attachment, codes, q2, story={"信阳市中心医院": {2: y.Plan(3)}})
    with pytest.raises(ValueError):  # no pace of its own
        y.generate_year(attachment, codes, q2, story={"息县中医院": {3: y.Plan(3)}})
