"""On PostgreSQL, the daily statistics (DailyUpload, DailyTotal) become tables
partitioned by month (apps/core/partitions.py): their rows, keys, constraints and
indexes kept; months from 2020 to the end of next year, a default partition for the
rest, and the monthly beat task that creates the months ahead. SQLite keeps plain
tables. Not reversed: going back leaves the partitioned tables, which behave the
same to the portal."""

import datetime as dt

from django.db import migrations

from apps.core.partitions import PARTITIONED, partition_table

TASK = "apps.uploads.tasks.ensure_partitions"
NAME = "每月创建统计数据分区"


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    last = dt.date(dt.date.today().year + 1, 12, 1)
    with schema_editor.connection.cursor() as cursor:
        for table, column in PARTITIONED.items():
            partition_table(cursor, table, column, last)


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="3",
        day_of_week="*",
        day_of_month="1",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "description": "每月1日 03:00 为每日上传统计创建今后12个月的分区（仅 PostgreSQL）。",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    atomic = True
    dependencies = [
        ("uploads", "0002_monthly_covering_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(partition, migrations.RunPython.noop),
        migrations.RunPython(add_schedule, remove_schedule),
    ]
