"""Pulling over real HTTP on loopback, against the shipped simulator, for every
fault: afterwards the stored figures equal the simulator's truth."""

import datetime as dt
import time

from apps.ingestion.models import PulledDay, SyncRun, UnknownUpload
from apps.ingestion.pull import platform_pull_day, platform_pull_institutions
from apps.ingestion.simulator import Faults
from apps.platforms.models import Connection
from apps.uploads.models import DailyUpload
from tests.conftest import connect
from tests.simulated import DAY, assert_rollups_match, expected, stored


def test_a_day_is_stored_as_the_platform_has_it(platform_sim):
    platform, sim = platform_sim()
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert run.pages == 3 and run.rows_stored == 5
    assert stored(platform) == expected(sim)
    assert PulledDay.objects.get(platform=platform, day=DAY).generated_at == sim.data.stamp(DAY)
    assert_rollups_match(platform)


def test_pulling_twice_adds_nothing(platform_sim):
    platform, sim = platform_sim()
    platform_pull_day(platform=platform, day=DAY)
    before = sim.requests
    again = platform_pull_day(platform=platform, day=DAY)
    assert again.outcome == SyncRun.Outcome.SKIPPED
    assert sim.requests == before + 1  # the first page said "not newer": no more read
    assert stored(platform) == expected(sim)


def test_a_revised_day_replaces_the_old_figures(platform_sim):
    platform, sim = platform_sim()
    platform_pull_day(platform=platform, day=DAY)
    sim.data.revise(DAY)
    sim.data.days[DAY].pop()  # the revision drops a row
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert stored(platform) == expected(sim)
    assert_rollups_match(platform)


def test_an_older_generated_at_never_replaces_a_newer(platform_sim):
    platform, sim = platform_sim()
    sim.data.revise(DAY)
    platform_pull_day(platform=platform, day=DAY)
    newer = stored(platform)
    sim.data.generated_at[DAY] -= dt.timedelta(hours=5)
    for item in sim.data.days[DAY]:
        item["records"] = 1
    assert platform_pull_day(platform=platform, day=DAY).outcome == SyncRun.Outcome.SKIPPED
    assert stored(platform) == newer


def test_retry_after_is_honoured_on_429_and_503(platform_sim):
    platform, sim = platform_sim(Faults(page_size=2, throttle=1, unavailable=1, retry_after=1))
    started = time.monotonic()
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert time.monotonic() - started >= 2  # waited the two Retry-After seconds
    assert stored(platform) == expected(sim)


def test_server_errors_and_dropped_connections_are_retried(platform_sim):
    platform, sim = platform_sim(Faults(page_size=2, server_error=1, drop=2, retry_after=0))
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.error
    assert stored(platform) == expected(sim)


def test_a_failing_page_stores_nothing_of_the_day(platform_sim):
    platform, sim = platform_sim()
    platform_pull_day(platform=platform, day=DAY)
    before = stored(platform)
    sim.data.revise(DAY)
    sim.faults.fail_after = sim.requests + 1  # page 1 answers, page 2 never does
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "503" in run.error or "answer" in run.error
    assert stored(platform) == before  # the old day stands whole


def test_malformed_items_are_refused_with_reasons_and_the_rest_stored(platform_sim):
    platform, sim = platform_sim(Faults(page_size=10, malformed=3, retry_after=0))
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.SUCCESS
    assert run.rows_rejected == 3
    reasons = [r["reason"] for r in run.rejections]
    assert any("records" in r for r in reasons) and any("table_code" in r for r in reasons)
    assert stored(platform) == expected(sim)


def test_unknown_institutions_wait_in_the_review_queue(platform_sim):
    platform, sim = platform_sim(Faults(page_size=3, unknown=2, retry_after=0))
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.unknown_codes == 2
    assert sorted(UnknownUpload.objects.values_list("org_code", "records")) == [
        ("UNKNOWN00000", 5),
        ("UNKNOWN00001", 5),
    ]
    assert stored(platform) == expected(sim)


def test_a_wrong_token_or_a_day_without_statistics(platform_sim):
    platform, sim = platform_sim()
    assert (
        platform_pull_day(platform=platform, day=dt.date(2023, 7, 1)).outcome
        == SyncRun.Outcome.NO_DATA
    )
    platform.api_token = "wrong"
    platform.save()
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.FAILED and "401" in run.error
    assert "wrong" not in run.error
    assert DailyUpload.objects.count() == 0


def test_institutions_update_statuses_and_history_only_on_change(platform_sim, city):
    platform, sim = platform_sim()
    connect(city.hc_people, platform, since=dt.date(2023, 1, 1), status="integrating")
    run = platform_pull_institutions(platform=platform)
    assert run.outcome == SyncRun.Outcome.SUCCESS and run.unknown_codes == 1
    central = Connection.objects.get(institution=city.central, platform=platform)
    assert central.status == "connected"
    assert central.changes.get().effective_date == dt.date(2022, 11, 3)
    assert central.front_server_last_seen is not None
    # 潢川县人民医院 was already integrating: no new history row.
    assert Connection.objects.get(institution=city.hc_people).changes.count() == 1
    platform_pull_institutions(platform=platform)
    assert central.changes.count() == 1
