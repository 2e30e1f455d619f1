"""The alerts in django-celery-beat's schedule (Asia/Shanghai): evaluation at 06:30,
after the nightly pull; the officers' digest at 08:00; retries every 10 minutes.
Officers may change them in the admin."""

from django.db import migrations

CRONTABS = [
    # (name, task, minute, hour, description)
    (
        "每日评估机构上传中断",
        "apps.alerts.tasks.evaluate_alerts",
        "30",
        "6",
        "每日 06:30（夜间拉取之后）评估各平台已联通机构是否连续多日未上传数据，并发送变化提醒。",
    ),
    (
        "每日发送中断机构日报",
        "apps.alerts.tasks.send_digests",
        "0",
        "8",
        "每日 08:00 向各市、县卫健委用户发送其范围内当前未上传数据机构的日报。",
    ),
    (
        "重试发送失败的提醒",
        "apps.alerts.tasks.retry_deliveries",
        "*/10",
        "*",
        "每 10 分钟重新发送到期的失败提醒（邮件、企业微信、钉钉）。",
    ),
]


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour, description in CRONTABS:
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "description": description}
        )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_rest in CRONTABS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
