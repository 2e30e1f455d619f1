"""Pulling /quality-rules and /quality-stats over real HTTP on loopback, against the
shipped simulator, by every rule of /upload-stats: afterwards the stored rules and
results equal the simulator's truth, junk is refused with its reason, and results of
unknown institutions or of rules not listed wait for review until they can count."""

import datetime as dt

from apps.ingestion.backfills import backfill_run, backfill_start
from apps.ingestion.models import PulledDay, SyncRun, UnknownQualityValue
from apps.ingestion.pull import platform_pull_quality, platform_pull_quality_rules
from apps.ingestion.review import ResolveRefused, unknown_code_map, waiting_quality_store
from apps.ingestion.simulator import Faults
from apps.quality.models import DailyQuality, MonthlyQuality, QualityRule
from tests.simulated import DAY, truth

RULES = [
    {"code": "MZ_ID", "name": "身份证号不为空", "dimension": "completeness", "table_code": "T1"},
    {"code": "SEX", "name": "性别符合值域", "dimension": "conformance", "table_code": None},
]


def with_quality(*extra):
    data = truth()
    data.quality_rules = [dict(r) for r in RULES]
    data.quality = {
        DAY: [
            {"org_code": "41150000001", "rule": "MZ_ID", "checked": 5120, "failed": 12},
            {"org_code": "41150000001", "rule": "SEX", "checked": 5120, "failed": 0},
            {"org_code": "41152600001", "rule": "MZ_ID", "checked": 800, "failed": 300},
            *extra,
        ]
    }
    return data


def stored(platform, day=DAY):
    return sorted(
        DailyQuality.objects.filter(platform=platform, day=day).values_list(
            "institution__org_code", "rule__code", "checked", "failed"
        )
    )


def truth_of(sim, day=DAY, known=("41150000001", "41152600001", "41152200001")):
    return sorted(
        (i["org_code"], i["rule"], i["checked"], i["failed"])
        for i in sim.data.quality[day]
        if i["org_code"] in known and any(r["code"] == i["rule"] for r in sim.data.quality_rules)
    )


def months_match(platform):
    for month in MonthlyQuality.objects.filter(platform=platform):
        days = DailyQuality.objects.filter(
            platform=platform,
            institution=month.institution,
            rule=month.rule,
            day__year=month.month.year,
            day__month=month.month.month,
        )
        assert (month.checked, month.failed) == (
            sum(d.checked for d in days),
            sum(d.failed for d in days),
        )


def test_rules_then_a_day_of_results_as_the_platform_has_them(platform_sim):
    platform, sim = platform_sim(Faults(page_size=1, retry_after=0, throttle=1), with_quality())
    rules = platform_pull_quality_rules(platform=platform)
    assert rules.outcome == SyncRun.Outcome.SUCCESS, rules.error
    assert dict(QualityRule.objects.values_list("code", "dimension")) == {
        "MZ_ID": "completeness",
        "SEX": "conformance",
    }
    run = platform_pull_quality(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert stored(platform) == truth_of(sim)
    assert run.rows_stored == 3 and run.pages == 3
    months_match(platform)
    assert PulledDay.objects.get(platform=platform, kind=SyncRun.Kind.QUALITY, day=DAY)
    # The same version again stores nothing; a revision replaces the day whole.
    assert platform_pull_quality(platform=platform, day=DAY).outcome == SyncRun.Outcome.SKIPPED
    sim.data.quality[DAY].pop()  # 潢川 no longer reported …
    sim.data.revise(DAY)  # … and every count one more
    assert platform_pull_quality(platform=platform, day=DAY).outcome == SyncRun.Outcome.SUCCESS
    assert stored(platform) == truth_of(sim)
    months_match(platform)


def test_junk_is_refused_with_its_reason_and_the_rest_stored(platform_sim):
    platform, sim = platform_sim(Faults(page_size=10, retry_after=0, malformed=3), with_quality())
    rules = platform_pull_quality_rules(platform=platform)
    reasons = sorted(r["reason"] for r in rules.rejections)
    assert len(reasons) == 3 and rules.rows_rejected == 3
    assert not QualityRule.objects.filter(code__in=["R_BAD_DIM", "bad code"]).exists()
    run = platform_pull_quality(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    by_reason = {r["reason"] for r in run.rejections}
    assert "不通过数大于检查数" in by_reason  # failed 4 of 3 checked
    assert len(run.rejections) == 3
    assert stored(platform) == truth_of(sim)


def test_unknown_codes_and_unlisted_rules_wait_and_count_once_resolved(platform_sim, city):
    platform, sim = platform_sim(
        Faults(page_size=50, retry_after=0, unknown=2, unknown_rules=1),
        with_quality({"org_code": "41152600099", "rule": "SEX", "checked": 40, "failed": 4}),
    )
    platform_pull_quality_rules(platform=platform)
    run = platform_pull_quality(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    waiting = set(UnknownQualityValue.objects.values_list("org_code", "rule"))
    assert waiting == {
        ("UNKNOWN00000", "MZ_ID"),
        ("UNKNOWN00001", "MZ_ID"),
        ("41152600099", "SEX"),
        ("41150000001", "UNLISTED_0"),
    }
    # The platform lists the rule the next night: its results are stored then.
    sim.data.quality_rules.append(
        {"code": "UNLISTED_0", "name": "新规则", "dimension": "linkage", "table_code": None}
    )
    platform_pull_quality_rules(platform=platform)
    assert DailyQuality.objects.get(rule__code="UNLISTED_0").checked == 9
    # An officer maps 潢川's own code: its waiting result counts for 潢川县人民医院.
    unknown_code_map(platform=platform, org_code="41152600099", institution=city.hc_people)
    hc = DailyQuality.objects.get(institution=city.hc_people, rule__code="SEX")
    assert (hc.checked, hc.failed) == (40, 4)
    assert set(UnknownQualityValue.objects.values_list("org_code", flat=True)) == {
        "UNKNOWN00000",
        "UNKNOWN00001",
    }
    assert waiting_quality_store(platform=platform) == 0  # nothing else can be stored
    months_match(platform)


def test_a_platform_without_the_quality_interface_is_no_failure(platform_sim):
    platform, _sim = platform_sim(data=truth())  # serves no quality days
    run = platform_pull_quality(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.NO_DATA


def test_a_backfill_pulls_the_rules_once_and_every_days_results(platform_sim):
    data = with_quality()
    next_day = DAY + dt.timedelta(days=1)
    data.days[next_day] = []
    data.quality[next_day] = [
        {"org_code": "41150000001", "rule": "SEX", "checked": 10, "failed": 1}
    ]
    platform, sim = platform_sim(Faults(page_size=50, retry_after=0), data)
    backfill = backfill_start(
        platform=platform, first_day=DAY, last_day=next_day, trigger=SyncRun.Trigger.COMMAND
    )
    backfill_run(backfill)
    kinds = list(SyncRun.objects.filter(backfill=backfill).values_list("kind", flat=True))
    assert kinds.count(SyncRun.Kind.QUALITY_RULES) == 1
    assert kinds.count(SyncRun.Kind.QUALITY) == 2
    assert stored(platform, next_day) == [("41150000001", "SEX", 10, 1)]


def test_mapping_a_code_whose_results_would_meet_stored_ones_is_refused(platform_sim, city):
    """The platform sent 潢川's MZ_ID result under a second code too: mapping that
    code onto 潢川 would meet the stored result, so nothing changes and the result
    keeps waiting, its code unmapped."""
    platform, _sim = platform_sim(
        data=with_quality({"org_code": "41152600099", "rule": "MZ_ID", "checked": 9, "failed": 1})
    )
    platform_pull_quality_rules(platform=platform)
    platform_pull_quality(platform=platform, day=DAY)
    before = stored(platform)
    try:
        unknown_code_map(platform=platform, org_code="41152600099", institution=city.hc_people)
    except ResolveRefused as refused:
        assert "41152600099" in refused.problems[0] and "MZ_ID" in refused.problems[0]
        assert DAY.isoformat() in refused.problems[0]
    else:
        raise AssertionError("the mapping was not refused")
    assert stored(platform) == before
    assert UnknownQualityValue.objects.filter(org_code="41152600099").count() == 1
    assert waiting_quality_store(platform=platform) == 0
