"""The sync pages: city officers read the nightly pulls, start backfills and
resolve unknown codes; everyone else gets 404. The home page warns when last
night's pull failed or did not run."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from apps.ingestion.models import Backfill, OrgCodeAlias, SyncRun, UnknownUpload
from apps.ingestion.pull import platform_pull_day
from apps.ingestion.simulator import Faults
from apps.institutions.models import Institution
from apps.uploads.models import DailyUpload
from tests.factories import InstitutionFactory, RegionFactory
from tests.simulated import DAY, expected, stored

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MORNING_AFTER = dt.datetime(2023, 7, 1, 9, 0, tzinfo=SHANGHAI)  # last night = DAY


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.HIPWATCH_PULL = {
        **settings.HIPWATCH_PULL,
        "retries": 2,
        "backoff": 0.01,
        "backoff_max": 0.02,
        "retry_after_max": 1,
        "read_timeout": 5,
    }


@pytest.fixture
def pulled(platform_sim):
    """The city platform pulled for DAY, with one unknown code waiting."""
    platform, sim = platform_sim(Faults(page_size=3, unknown=1, malformed=1, retry_after=0))
    platform_pull_day(platform=platform, day=DAY)
    return platform, sim


def sync_urls(platform, run):
    return [
        reverse("sync-log"),
        reverse("sync-run", args=[run.pk]),
        reverse("review-queue"),
        reverse("review-code", args=[platform.code, "UNKNOWN00000"]),
        reverse("platform-sync", args=[platform.code]),
    ]


def test_only_city_officers_see_the_sync_pages(client, users, pulled):
    platform, _sim = pulled
    run = SyncRun.objects.get()
    for user in (users.bob, users.charlie, users.dana):
        client.force_login(user)
        for url in sync_urls(platform, run):
            assert client.get(url).status_code == 404, (user.username, url)
        assert client.post(reverse("platform-sync", args=[platform.code])).status_code == 404
        assert (
            client.post(
                reverse("review-code", args=[platform.code, "UNKNOWN00000"]),
                {"action": "map", "institution": "41152600001"},
            ).status_code
            == 404
        )
    assert UnknownUpload.objects.count() == 1
    for user in (users.alice, users.admin):
        client.force_login(user)
        for url in sync_urls(platform, run):
            assert client.get(url).status_code == 200, (user.username, url)
    client.logout()
    assert client.get(reverse("sync-log")).status_code == 302  # to the login page


def test_the_nav_links_to_the_sync_pages_for_officers_only(client, users, pulled):
    client.force_login(users.alice)
    assert reverse("sync-log") in client.get(reverse("home")).content.decode()
    client.force_login(users.bob)
    assert reverse("sync-log") not in client.get(reverse("home")).content.decode()


@time_machine.travel(MORNING_AFTER, tick=False)
def test_the_log_shows_each_night_and_the_run_its_rejections(client, users, pulled):
    platform, _sim = pulled
    client.force_login(users.alice)
    page = client.get(reverse("sync-log")).content.decode()
    run = SyncRun.objects.get()
    assert reverse("sync-run", args=[run.pk]) in page
    assert "2023-06-30" in page and "2023-06-23" in page  # eight nights
    assert "未拉取" in page  # the nights before DAY
    detail = client.get(reverse("sync-run", args=[run.pk])).content.decode()
    assert run.rejections[0]["reason"] in detail
    assert "UNKNOWN00000" not in page  # codes are on the review page
    queue = client.get(reverse("review-queue")).content.decode()
    assert "UNKNOWN00000" in queue


@time_machine.travel(MORNING_AFTER, tick=False)
def test_home_warns_when_last_night_did_not_run_or_failed(client, users, platform_sim):
    platform, sim = platform_sim(Faults(page_size=3, retry_after=0))
    client.force_login(users.alice)
    warning = "night-problem"
    page = client.get(reverse("home")).content.decode()
    assert warning in page and "2023-06-30 的拉取没有运行" in page

    sim.faults.unavailable = 100  # the platform answers 503, again and again
    run = platform_pull_day(platform=platform, day=DAY)
    assert run.outcome == SyncRun.Outcome.FAILED
    page = client.get(reverse("home")).content.decode()
    assert warning in page and "失败" in page
    client.force_login(users.bob)  # county staff are told too, without the link
    page = client.get(reverse("home")).content.decode()
    assert warning in page and reverse("platform-sync", args=[platform.code]) not in page

    sim.faults.unavailable = 0
    assert platform_pull_day(platform=platform, day=DAY).outcome == SyncRun.Outcome.SUCCESS
    client.force_login(users.alice)
    assert warning not in client.get(reverse("home")).content.decode()


@time_machine.travel(MORNING_AFTER, tick=False)
def test_a_backfill_from_the_platform_page(
    client, users, platform_sim, django_capture_on_commit_callbacks, celery_in_process
):
    # The task runs in this process; tests/ingestion/test_worker.py has a worker
    # process take it from the broker.
    platform, sim = platform_sim(Faults(page_size=2, retry_after=0))
    sim.data.days[DAY - dt.timedelta(days=1)] = [
        {"org_code": "41150000001", "table_code": "T4", "records": 8, "rejected": 0}
    ]
    client.force_login(users.alice)
    url = reverse("platform-sync", args=[platform.code])
    bad = client.post(url, {"first_day": "2023-06-30", "last_day": "2023-06-29"})
    assert bad.status_code == 200 and not Backfill.objects.exists()
    future = client.post(url, {"first_day": "2023-06-30", "last_day": "2023-07-01"})
    assert future.status_code == 200 and not Backfill.objects.exists()

    with django_capture_on_commit_callbacks(execute=True) as handed:
        response = client.post(
            url, {"first_day": "2023-06-28", "last_day": "2023-06-30", "with_institutions": "on"}
        )
    assert response.status_code == 302 and len(handed) == 1
    backfill = Backfill.objects.get()  # Celery is eager here: the task has run
    assert (backfill.state, backfill.days_done, backfill.days_total) == ("done", 3, 3)
    assert backfill.started_by == users.alice
    runs = SyncRun.objects.filter(backfill=backfill)
    assert sorted(r.outcome for r in runs if r.kind == "upload_stats") == [
        "no_data",
        "success",
        "success",
    ]
    assert runs.filter(kind="institutions").count() == 1
    assert stored(platform) == expected(sim)
    assert DailyUpload.objects.get(day=DAY - dt.timedelta(days=1)).records == 8
    page = client.get(url).content.decode()
    assert "100%" in page and 'http-equiv="refresh"' not in page


def test_a_running_backfill_refreshes_the_page(client, users, city):
    Backfill.objects.create(
        platform=city.platform,
        first_day=DAY,
        last_day=DAY,
        days_total=4,
        days_done=1,
        state=Backfill.State.RUNNING,
    )
    client.force_login(users.alice)
    page = client.get(reverse("platform-sync", args=[city.platform.code])).content.decode()
    assert "25%" in page and 'http-equiv="refresh"' in page


def test_a_failed_backfill_is_pulled_again_from_the_page_and_only_it(
    client, users, platform_sim, django_capture_on_commit_callbacks, celery_in_process
):
    """Restarting: a failed backfill pulls its days again (an interrupted one resumes:
    tests/ingestion/test_worker.py); a done one, junk or another scope's is refused."""
    platform, sim = platform_sim(Faults(page_size=2, retry_after=0))
    failed = Backfill.objects.create(
        platform=platform,
        first_day=DAY,
        last_day=DAY,
        days_total=1,
        days_done=1,
        days_failed=1,
        state=Backfill.State.FAILED,
    )
    done = Backfill.objects.create(
        platform=platform,
        first_day=DAY,
        last_day=DAY,
        days_total=1,
        days_done=1,
        state=Backfill.State.DONE,
    )
    client.force_login(users.alice)
    url = reverse("platform-sync", args=[platform.code])
    assert "重新拉取" in client.get(url).content.decode()
    client.post(url, {"action": "restart", "backfill": done.pk})
    done.refresh_from_db()
    assert done.state == "done"
    assert client.post(url, {"action": "restart", "backfill": "abc"}).status_code == 404
    assert client.post(url, {"action": "restart", "backfill": "99999"}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "restart", "backfill": failed.pk})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.days_done, failed.days_failed) == ("done", 1, 0)
    assert stored(platform) == expected(sim)
    # A platform without its interface cannot be pulled again.
    failed.state = Backfill.State.FAILED
    failed.save()
    platform.api_url = ""
    platform.save()
    client.post(url, {"action": "restart", "backfill": failed.pk})
    failed.refresh_from_db()
    assert failed.state == "failed"


def test_an_officer_maps_an_unknown_code_from_the_queue(client, users, city, pulled):
    platform, _sim = pulled
    elsewhere = InstitutionFactory(
        org_code="41170000001",
        name="驻马店市中心医院",
        region=RegionFactory(code="411700", name="驻马店市", level="city", parent=city.province),
    )
    client.force_login(users.alice)
    url = reverse("review-code", args=[platform.code, "UNKNOWN00000"])
    outside = client.post(url, {"action": "map", "institution": elsewhere.org_code})
    assert outside.status_code == 404 and not OrgCodeAlias.objects.exists()
    response = client.post(url, {"action": "map", "institution": "41152600001"})
    assert response.status_code == 302
    assert OrgCodeAlias.objects.get().institution == city.hc_people
    row = DailyUpload.objects.get(institution=city.hc_people, table_code="T_UNKNOWN")
    assert row.records == 5
    assert client.get(url).status_code == 404  # nothing waits any more


def test_an_officer_registers_the_institution_behind_a_code(client, users, city, pulled):
    platform, _sim = pulled
    client.force_login(users.alice)
    url = reverse("review-code", args=[platform.code, "UNKNOWN00000"])
    form = {
        "action": "register",
        "name": "潢川县第二人民医院",
        "category": Institution.Category.GENERAL,
        "grade": Institution.Grade.G2A,
    }
    other = RegionFactory(code="411700", name="驻马店市", level="city", parent=city.province)
    assert client.post(url, {**form, "region": other.code}).status_code == 404
    assert not Institution.objects.filter(org_code="UNKNOWN00000").exists()
    response = client.post(url, {**form, "region": city.huangchuan.code})
    assert response.status_code == 302
    institution = Institution.objects.get(org_code="UNKNOWN00000")
    assert institution.region == city.huangchuan
    assert response.url.startswith(reverse("institution-detail", args=["UNKNOWN00000"]))
    assert DailyUpload.objects.get(institution=institution).records == 5


def test_a_refused_mapping_is_explained_on_the_page(client, users, city, platform_sim):
    platform, sim = platform_sim(Faults(page_size=10, retry_after=0))
    sim.data.days[DAY].append(
        {"org_code": "41152600099", "table_code": "T1", "records": 5, "rejected": 0}
    )
    platform_pull_day(platform=platform, day=DAY)
    client.force_login(users.alice)
    url = reverse("review-code", args=[platform.code, "41152600099"])
    page = client.post(url, {"action": "map", "institution": "41152600001"})
    assert page.status_code == 200
    assert "resolve-problems" in page.content.decode()
    assert "T1" in page.content.decode()
    assert UnknownUpload.objects.count() == 1
