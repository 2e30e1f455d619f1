"""The nightly schedule lives in django-celery-beat's tables, where the admin can
change it, and beat's database scheduler reads it from there."""

import datetime as dt
import zoneinfo

import time_machine
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from apps.ingestion.models import SyncRun
from apps.ingestion.simulator import Faults
from apps.ingestion.tasks import pull_all_platforms
from config.celery_app import app
from tests.factories import PlatformFactory
from tests.processes import free_port
from tests.simulated import DAY, expected, stored

NIGHTLY = "每晚拉取各平台统计"


def test_the_nightly_pull_runs_at_two_in_shanghai(db):
    task = PeriodicTask.objects.get(name=NIGHTLY)
    assert task.enabled
    assert task.task == "apps.ingestion.tasks.pull_all_platforms"
    app.loader.import_default_modules()  # what a worker does when it starts
    assert task.task in app.tasks  # the name points at a registered task
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week) == ("0", "2", "*")
    assert str(cron.timezone) == "Asia/Shanghai"
    # When it is due: 02:00 in Shanghai is 18:00 UTC of the day before.
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    schedule = cron.schedule
    last = dt.datetime(2023, 7, 1, 2, 0, tzinfo=shanghai)
    schedule.nowfun = lambda: dt.datetime(2023, 7, 2, 1, 59, tzinfo=shanghai)
    assert not schedule.is_due(last).is_due
    schedule.nowfun = lambda: dt.datetime(2023, 7, 2, 2, 0, 30, tzinfo=shanghai)
    assert schedule.is_due(last).is_due


def test_beat_reads_the_schedule_from_the_database(db):
    # django-celery-beat only loads crontab entries due within two hours of now,
    # so ask it shortly before the night's pull.
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    with time_machine.travel(dt.datetime(2023, 7, 2, 1, 30, tzinfo=shanghai), tick=False):
        scheduler = DatabaseScheduler(app=app, lazy=True)
        entries = scheduler.all_as_schedule()
    assert entries[NIGHTLY].task == "apps.ingestion.tasks.pull_all_platforms"


def test_an_admin_moves_the_night(client, users):
    task = PeriodicTask.objects.get(name=NIGHTLY)
    client.force_login(users.admin)
    page = client.get(reverse("admin:django_celery_beat_periodictask_change", args=[task.pk]))
    assert page.status_code == 200
    cron = task.crontab
    url = reverse("admin:django_celery_beat_crontabschedule_change", args=[cron.pk])
    response = client.post(
        url,
        {
            "minute": "30",
            "hour": "3",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
            "timezone": "Asia/Shanghai",
            # The inline list of the schedule's tasks, left as it is.
            "periodictask_set-TOTAL_FORMS": "0",
            "periodictask_set-INITIAL_FORMS": "0",
        },
    )
    errors = response.context and response.context.get("errors")
    assert response.status_code == 302, errors
    task.refresh_from_db()
    assert (task.crontab.minute, task.crontab.hour) == ("30", "3")


@time_machine.travel(dt.datetime(2023, 7, 1, 2, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))
def test_one_platform_failing_does_not_stop_the_others(platform_sim, city, celery_in_process):
    """The night's entry point: each platform pulls its statuses, then yesterday and
    the 7 days before (upload statistics, indicators and quality); a platform that cannot be
    reached fails alone."""
    platform, sim = platform_sim(Faults(page_size=2, retry_after=0))
    dead = PlatformFactory(code="dead", name="失联平台")
    dead.api_url, dead.api_token = f"http://127.0.0.1:{free_port()}", "tok"
    dead.save()
    PlatformFactory(code="unset", name="未设置接口的平台")  # not pulled at all

    assert pull_all_platforms.delay().get() == 2

    good = SyncRun.objects.filter(platform=platform)
    assert good.filter(kind="institutions", outcome="success").count() == 1
    days = dict(good.filter(kind="upload_stats").values_list("day", "outcome"))
    assert sorted(days) == [DAY - dt.timedelta(days=n) for n in range(7, -1, -1)]
    assert days[DAY] == "success" and days[DAY - dt.timedelta(days=1)] == "no_data"
    assert stored(platform) == expected(sim)
    bad = SyncRun.objects.filter(platform=dead)
    # Statuses and quality rules, then 8 days × (uploads, indicators, quality).
    assert bad.count() == 2 + 8 * 3 and set(bad.values_list("outcome", flat=True)) == {"failed"}
    assert good.filter(kind="quality_rules", outcome="success").count() == 1
    assert [r.error for r in bad if "ConnectionError" not in r.error or "tok" in r.error] == []
    assert not SyncRun.objects.filter(platform__code="unset").exists()
