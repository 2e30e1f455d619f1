"""The schedule in django-celery-beat, the Celery tasks and `manage.py send_alerts`,
with the clock set to a morning in Shanghai."""

import datetime as dt
import io
import zoneinfo

import time_machine
from django.core.management import call_command
from django.utils.translation import gettext
from django_celery_beat.models import PeriodicTask

from apps.alerts.models import Delivery, Flip, Watch
from apps.alerts.tasks import evaluate_alerts, retry_deliveries, send_digests
from config.celery_app import app

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2023, 6, 10, 6, 30, tzinfo=SHANGHAI)


def test_the_alert_tasks_are_scheduled_in_shanghai_time(db):
    app.loader.import_default_modules()
    expected = {
        "apps.alerts.tasks.evaluate_alerts": ("30", "6"),
        "apps.alerts.tasks.send_digests": ("0", "8"),
        "apps.alerts.tasks.retry_deliveries": ("*/10", "*"),
    }
    for task_name, (minute, hour) in expected.items():
        task = PeriodicTask.objects.get(task=task_name)
        assert task.enabled and task_name in app.tasks
        assert (task.crontab.minute, task.crontab.hour) == (minute, hour)
        assert str(task.crontab.timezone) == "Asia/Shanghai"


def test_the_morning_tasks_evaluate_send_and_digest(watched, users, smtp, celery_in_process):
    with time_machine.travel(MORNING, tick=False):
        assert evaluate_alerts.delay().get() == 3
        assert Watch.objects.filter(evaluated_on=dt.date(2023, 6, 10)).count() == 3
        assert len(smtp.to("alice@example.cn")) == 3
        assert retry_deliveries.delay().get() == 0
    with time_machine.travel(MORNING.replace(hour=8), tick=False):
        assert send_digests.delay().get() == 3
    assert Delivery.objects.get(kind="digest", user=users.bob).digest_day == dt.date(2023, 6, 10)


def test_send_alerts_runs_evaluation_delivery_and_retries_once(watched, users, smtp):
    out = io.StringIO()
    with time_machine.travel(MORNING, tick=False):
        call_command("send_alerts", stdout=out)
        call_command("send_alerts", stdout=out)
    assert Flip.objects.filter(processed_at__isnull=False).count() == 3
    assert len(smtp.to("bob@example.cn")) == 1
    summary = gettext(
        "Status changes: %(flips)d; processed: %(processed)d; retries sent: %(resent)d"
    )
    assert out.getvalue().splitlines() == [
        summary % {"flips": 3, "processed": 3, "resent": 0},
        summary % {"flips": 0, "processed": 0, "resent": 0},
    ]
