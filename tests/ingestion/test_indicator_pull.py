"""Pulling /indicator-stats over real HTTP on loopback, against the shipped
simulator, by every rule of /upload-stats: afterwards the stored values equal the
simulator's truth, and what cannot be stored yet waits for review."""

import datetime as dt
import time
import zoneinfo

import time_machine
from django.urls import reverse

from apps.indicators.models import DailyIndicator, Indicator, MonthlyIndicator
from apps.ingestion.models import OrgCodeAlias, PulledDay, SyncRun, UnknownIndicatorValue
from apps.ingestion.pull import platform_pull_day, platform_pull_indicators
from apps.ingestion.review import ResolveRefused, unknown_code_map
from apps.ingestion.simulator import Faults
from apps.ingestion.tasks import pull_platform_night
from tests.simulated import DAY, truth

NEW_CODE = "41152600099"  # the platform's own code for 潢川县人民医院


def with_indicators(*extra):
    data = truth()
    data.indicators = {
        DAY: [
            {"org_code": "41150000001", "indicator": "outpatient_visits", "value": 3786},
            {"org_code": "41150000001", "indicator": "discharges", "value": 212},
            {"org_code": "41150000001", "indicator": "ehr_basic", "value": 905112},
            {"org_code": "41152600001", "indicator": "outpatient_visits", "value": 1520},
            {"org_code": "41152200001", "indicator": "outpatient_visits", "value": 0},
            *extra,
        ]
    }
    return data


def stored_values(platform, day=DAY):
    return sorted(
        DailyIndicator.objects.filter(platform=platform, day=day).values_list(
            "institution__org_code", "indicator__code", "value"
        )
    )


def truth_values(sim, day=DAY, known=("41150000001", "41152600001", "41152200001")):
    return sorted(
        (i["org_code"], i["indicator"], i["value"])
        for i in sim.data.indicators[day]
        if i["org_code"] in known and Indicator.objects.filter(code=i["indicator"]).exists()
    )


def assert_months_match(platform):
    for month in MonthlyIndicator.objects.filter(platform=platform):
        rows = DailyIndicator.objects.filter(
            platform=platform,
            institution=month.institution,
            indicator=month.indicator,
            day__year=month.month.year,
            day__month=month.month.month,
        ).order_by("day")
        assert month.total == sum(r.value for r in rows)
        assert (month.last_day, month.last_value) == (rows.last().day, rows.last().value)
    # …and every month with daily values has its roll-up row (none lost, none stale).
    daily = {
        (inst, ind, day.replace(day=1))
        for inst, ind, day in DailyIndicator.objects.filter(platform=platform).values_list(
            "institution_id", "indicator_id", "day"
        )
    }
    monthly = set(
        MonthlyIndicator.objects.filter(platform=platform).values_list(
            "institution_id", "indicator_id", "month"
        )
    )
    assert daily == monthly


def test_a_day_of_indicators_is_stored_as_the_platform_has_it(platform_sim):
    platform, sim = platform_sim(data=with_indicators())
    run = platform_pull_indicators(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert (run.kind, run.pages, run.rows_stored) == ("indicator_stats", 3, 5)
    assert stored_values(platform) == truth_values(sim)
    pulled = PulledDay.objects.get(platform=platform, kind="indicator_stats", day=DAY)
    assert pulled.generated_at == sim.data.stamp(DAY)
    assert_months_match(platform)


def test_the_two_kinds_keep_their_own_versions(platform_sim):
    """Having the day's upload statistics does not make its indicators "not newer"."""
    platform, sim = platform_sim(data=with_indicators())
    assert platform_pull_day(platform=platform, day=DAY).outcome == SyncRun.Outcome.SUCCESS
    run = platform_pull_indicators(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert PulledDay.objects.filter(platform=platform, day=DAY).count() == 2
    before = sim.requests
    assert platform_pull_indicators(platform=platform, day=DAY).outcome == "skipped"
    assert sim.requests == before + 1  # one page said "not newer"
    assert stored_values(platform) == truth_values(sim)


def test_a_revised_day_replaces_its_values_whole(platform_sim):
    platform, sim = platform_sim(data=with_indicators())
    platform_pull_indicators(platform=platform, day=DAY)
    sim.data.revise(DAY)
    dropped = sim.data.indicators[DAY].pop(2)  # the revision drops the health records
    run = platform_pull_indicators(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert stored_values(platform) == truth_values(sim)
    assert ("41150000001", dropped["indicator"], dropped["value"]) not in stored_values(platform)
    assert ("41150000001", "outpatient_visits", 3787) in stored_values(platform)
    assert_months_match(platform)


def test_an_older_generated_at_never_replaces_a_newer(platform_sim):
    platform, sim = platform_sim(data=with_indicators())
    sim.data.revise(DAY)
    platform_pull_indicators(platform=platform, day=DAY)
    newer = stored_values(platform)
    sim.data.generated_at[DAY] -= dt.timedelta(hours=5)
    for item in sim.data.indicators[DAY]:
        item["value"] = 1
    assert platform_pull_indicators(platform=platform, day=DAY).outcome == "skipped"
    assert stored_values(platform) == newer


def test_malformed_items_are_refused_with_their_reason_and_the_rest_stored(platform_sim):
    duplicate = {"org_code": "41152600001", "indicator": "outpatient_visits", "value": 9}
    platform, sim = platform_sim(
        Faults(page_size=3, malformed=3, retry_after=0), data=with_indicators(duplicate)
    )
    run = platform_pull_indicators(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    reasons = sorted(r["reason"] for r in run.rejections)
    assert reasons == sorted(
        [
            "value 不是 0 或正整数",
            "indicator 缺失或格式错误",
            "不是对象",
            "同一机构和指标出现两次",
        ]
    ), reasons
    assert {r["data"].get("value") for r in run.rejections if isinstance(r["data"], dict)} >= {-3}
    assert run.rows_rejected == 4 and run.rows_stored == 5
    sim.data.indicators[DAY].pop()  # the truth without the duplicate
    assert stored_values(platform) == truth_values(sim)


def test_retries_and_a_day_without_statistics(platform_sim):
    platform, sim = platform_sim(
        Faults(page_size=2, throttle=1, unavailable=1, drop=1, retry_after=1),
        data=with_indicators(),
    )
    started = time.monotonic()
    run = platform_pull_indicators(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert time.monotonic() - started >= 2  # waited the two Retry-After seconds
    assert stored_values(platform) == truth_values(sim)
    other = platform_pull_indicators(platform=platform, day=DAY - dt.timedelta(days=1))
    assert other.outcome == SyncRun.Outcome.NO_DATA


def test_unknown_codes_and_indicators_wait_for_review_and_are_stored_once_resolved(
    platform_sim, city, users, client
):
    platform, sim = platform_sim(
        data=with_indicators(
            {"org_code": NEW_CODE, "indicator": "discharges", "value": 77},
            {"org_code": NEW_CODE, "indicator": "tele_ecg", "value": 3},
            {"org_code": "41150000001", "indicator": "self_service_prints", "value": 41},
            {"org_code": "41152600001", "indicator": "self_service_prints", "value": 12},
        )
    )
    run = platform_pull_indicators(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert run.unknown_codes == 2  # one institution code, one indicator
    waiting = sorted(UnknownIndicatorValue.objects.values_list("org_code", "indicator", "value"))
    assert waiting == [
        ("41150000001", "self_service_prints", 41),
        ("41152600001", "self_service_prints", 12),
        (NEW_CODE, "discharges", 77),
        (NEW_CODE, "tele_ecg", 3),
    ]

    client.force_login(users.alice)
    queue = client.get(reverse("review-queue"))
    assert NEW_CODE in queue.text and "self_service_prints" in queue.text

    # Mapping the code stores its values; later pulls map it the same way.
    assert unknown_code_map(platform=platform, org_code=NEW_CODE, institution=city.hc_people) == 2
    mine = DailyIndicator.objects.filter(platform=platform, institution=city.hc_people)
    assert sorted(mine.values_list("indicator__code", "value")) == [
        ("discharges", 77),
        ("outpatient_visits", 1520),
        ("tele_ecg", 3),
    ]
    assert not UnknownIndicatorValue.objects.filter(org_code=NEW_CODE)
    sim.data.revise(DAY)
    assert platform_pull_indicators(platform=platform, day=DAY).unknown_codes == 1
    assert sorted(mine.values_list("indicator__code", "value")) == [
        ("discharges", 78),
        ("outpatient_visits", 1521),
        ("tele_ecg", 4),
    ]
    assert_months_match(platform)

    # Adding the unknown indicator from its review page stores its waiting values.
    url = reverse("review-indicator", args=["self_service_prints"])
    page = client.get(url)
    assert page.status_code == 200 and "self_service_prints" in page.text
    response = client.post(
        url,
        {
            "code": "self_service_prints",
            "name": "自助打印",
            "unit": "次",
            "kind": "flow",
            "group": "自助服务",
        },
    )
    assert response.status_code == 302
    assert sorted(
        DailyIndicator.objects.filter(indicator__code="self_service_prints").values_list(
            "institution__org_code", "value"
        )
    ) == [("41150000001", 42), ("41152600001", 13)]
    assert client.get(url).status_code == 404  # nothing waits any more
    assert_months_match(platform)


def test_mapping_a_code_whose_values_would_add_up_is_refused(platform_sim, city):
    """The platform sent 潢川's outpatient visits under both codes: mapping one onto
    the other would count the day twice, so nothing changes."""
    platform, _sim = platform_sim(
        data=with_indicators({"org_code": NEW_CODE, "indicator": "outpatient_visits", "value": 7})
    )
    platform_pull_indicators(platform=platform, day=DAY)
    before = stored_values(platform)
    try:
        unknown_code_map(platform=platform, org_code=NEW_CODE, institution=city.hc_people)
    except ResolveRefused as refused:
        assert "outpatient_visits" in refused.problems[0] and "2023-06-30" in refused.problems[0]
    else:
        raise AssertionError("the mapping was not refused")
    assert stored_values(platform) == before
    assert UnknownIndicatorValue.objects.filter(org_code=NEW_CODE).count() == 1
    assert not OrgCodeAlias.objects.exists()


@time_machine.travel(dt.datetime(2023, 7, 1, 2, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))
def test_the_night_pulls_indicators_beside_the_upload_statistics(platform_sim):
    platform, sim = platform_sim(data=with_indicators())
    pull_platform_night(platform.pk)
    runs = SyncRun.objects.filter(platform=platform, kind="indicator_stats")
    days = dict(runs.values_list("day", "outcome"))
    assert sorted(days) == [DAY - dt.timedelta(days=n) for n in range(7, -1, -1)]
    assert days[DAY] == "success" and days[DAY - dt.timedelta(days=1)] == "no_data"
    assert stored_values(platform) == truth_values(sim)
