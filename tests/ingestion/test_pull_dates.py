"""Dates in what a platform sends are checked like any other value, over real HTTP
on loopback against the shipped simulator: an item dated outside 2000–2099 (or
another day than the one asked), a connection "since" 0001-01-01 or a heartbeat in
the year 9999 is refused with its reason, and the rest of the answer is stored. A
day outside those years is not pulled at all. (A row dated 9999-12-31 used to fail
the whole pull with an OverflowError.)"""

import datetime as dt

import pytest
from django.utils.translation import gettext

from apps.indicators.models import DailyIndicator
from apps.ingestion.models import SyncRun
from apps.ingestion.pull import (
    platform_pull_day,
    platform_pull_indicators,
    platform_pull_institutions,
    platform_pull_quality,
    platform_pull_quality_rules,
)
from apps.platforms.models import Connection
from apps.quality.models import DailyQuality
from apps.uploads.models import DailyUpload
from tests.simulated import DAY, truth

OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "1900-01-01", "2100-01-01", "1999-12-31"]


def outside(field: str, value: str) -> str:
    return gettext("%(field)s %(value)s is outside the years %(first)d–%(last)d") % {
        "field": field,
        "value": value,
        "first": 2000,
        "last": 2099,
    }


def another_day(value: str) -> str:
    return gettext("dated %(date)s, not the day asked (%(day)s)") % {
        "date": value,
        "day": DAY.isoformat(),
    }


def uploads(platform):
    return sorted(
        DailyUpload.objects.filter(platform=platform).values_list(
            "day", "institution__org_code", "table_code", "records"
        )
    )


def indicators(platform):
    return sorted(
        DailyIndicator.objects.filter(platform=platform).values_list(
            "day", "institution__org_code", "indicator__code", "value"
        )
    )


def quality(platform):
    return sorted(
        DailyQuality.objects.filter(platform=platform).values_list(
            "day", "institution__org_code", "rule__code", "checked"
        )
    )


# Per kind: where the simulator keeps a day's items, an item of a key of its own
# (n tells them apart), the pull, and the stored rows as (day, code, key, figure).
KINDS = {
    "uploads": (
        "days",
        lambda n: {"org_code": "41150000001", "table_code": f"D{n}", "records": n, "rejected": 0},
        platform_pull_day,
        uploads,
    ),
    "indicators": (
        "indicators",
        lambda n: {
            "org_code": "41150000001",
            "indicator": ("outpatient_visits", "discharges")[n % 2],
            "value": n,
        },
        platform_pull_indicators,
        indicators,
    ),
    "quality": (
        "quality",
        lambda n: {"org_code": "41150000001", "rule": f"R{n}", "checked": n, "failed": 0},
        platform_pull_quality,
        quality,
    ),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_items_dated_outside_the_years_or_another_day_are_refused_the_rest_stored(
    platform_sim, kind
):
    where, item, pull, stored = KINDS[kind]
    data = truth()
    undated, good = item(0), {**item(1), "date": DAY.isoformat()}
    bad = [{**item(2 + n), "date": value} for n, value in enumerate(OUT_OF_RANGE)]
    elsewhere = {**item(2 + len(OUT_OF_RANGE)), "date": "2023-06-29"}
    setattr(data, where, {DAY: [undated, *bad, good, elsewhere]})
    if kind == "quality":
        data.quality_rules = [
            {"code": f"R{n}", "name": f"规则{n}", "dimension": "completeness"}
            for n in range(2 + len(OUT_OF_RANGE) + 1)
        ]
    platform, _sim = platform_sim(data=data)
    if kind == "quality":
        assert platform_pull_quality_rules(platform=platform).outcome == SyncRun.Outcome.SUCCESS

    run = pull(platform=platform, day=DAY)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert [(r["data"], r["reason"]) for r in run.rejections] == [
        *((b, outside("date", b["date"])) for b in bad),
        (elsewhere, another_day("2023-06-29")),
    ]
    assert run.rows_rejected == len(bad) + 1 and run.rows_stored == 2
    figure = {"uploads": "records", "indicators": "value", "quality": "checked"}[kind]
    key = {"uploads": "table_code", "indicators": "indicator", "quality": "rule"}[kind]
    assert stored(platform) == sorted(
        (DAY, i["org_code"], i[key], i[figure]) for i in (undated, good)
    )


def test_connection_dates_outside_the_years_are_refused_the_rest_stored(platform_sim, city):
    data = truth()
    central, people, _unknown = data.institutions
    central["connected_since"] = "0001-01-01"
    people["front_server_last_seen"] = "9999-12-31T23:59:59-05:00"  # 10000-01-01 in UTC
    data.institutions.append(
        {
            "org_code": "41152200001",
            "name": "光山县人民医院",
            "status": "connected",
            "connected_since": "2023-03-01",
            "front_server_last_seen": "2023-06-30T22:00:00+08:00",
        }
    )
    platform, _sim = platform_sim(data=data)

    run = platform_pull_institutions(platform=platform)

    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    refused = [(r["data"]["org_code"], r["reason"]) for r in run.rejections if "page" in r]
    assert refused == [
        ("41150000001", outside("connected_since", "0001-01-01")),
        ("41152600001", outside("front_server_last_seen", "9999-12-31T23:59:59-05:00")),
    ]
    assert not Connection.objects.filter(institution__in=[city.central, city.hc_people]).exists()
    stored = Connection.objects.get(institution=city.gs_people, platform=platform)
    assert stored.status == "connected"
    assert stored.changes.get().effective_date == dt.date(2023, 3, 1)


@pytest.mark.parametrize("day", [dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(1900, 1, 1)])
def test_a_day_outside_the_years_is_not_pulled(platform_sim, day):
    data = truth()
    data.days[day] = data.days[DAY]
    platform, sim = platform_sim(data=data)
    run = platform_pull_day(platform=platform, day=day)
    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.error == gettext("The day %(day)s is outside the years %(first)d–%(last)d.") % {
        "day": day.isoformat(),
        "first": 2000,
        "last": 2099,
    }
    assert sim.requests == 0 and not DailyUpload.objects.exists()
