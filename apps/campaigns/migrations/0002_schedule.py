"""The campaigns' check in django-celery-beat's schedule (Asia/Shanghai): 06:45,
after the nightly pull and the alerts. Officers may change it in the admin."""

from django.db import migrations

NAME = "每日按数据核销专项行动整改任务"


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="45",
        hour="6",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "apps.campaigns.tasks.check_campaign_tasks",
            "crontab": crontab,
            "description": "每日 06:45（夜间拉取之后）检查专项提升行动的整改任务：此后各日数据达到阈值的任务自动办结。",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
