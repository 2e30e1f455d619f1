"""A statistics file imported from the browser is checked and imported by a real
Celery worker process taking the tasks from Redis (the CI's PostgreSQL and Redis
pass: a worker cannot share the SQLite run's in-memory database), and a file that
takes too long is stopped by the worker's time limit."""

import datetime as dt
import io
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext
from openpyxl import Workbook

from apps.imports.models import ImportJob
from apps.uploads.models import DailyUpload
from config.celery_app import app as celery_app
from tests.conftest import connect
from tests.ingestion.test_worker import (
    ROOT,
    default_worker,  # noqa: F401  (a fixture)
    stop_worker,
)
from tests.processes import database_url, needs_database_server

pytestmark = [
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL)"),
    needs_database_server,
    pytest.mark.django_db(transaction=True),
]


def wait_for(job, *states):
    for _ in range(600):
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"import {job.pk} still {job.state}")


def test_a_statistics_file_is_checked_and_imported_by_a_worker(
    client,
    city,
    users,
    default_worker,  # noqa: F811
):
    connect(city.central, city.platform)
    text = "日期,机构代码,表代码,上传记录数,校验未通过数\n" + "".join(
        f"2023-06-{d:02d},41150000001,T{t},{d * 10 + t},0\n" for d in range(1, 31) for t in (1, 2)
    )
    client.force_login(users.alice)
    response = client.post(
        reverse("import-new", args=["uploads"]),
        {"file": SimpleUploadedFile("六月.csv", text.encode()), "platform": city.platform.code},
    )
    job = ImportJob.objects.get()
    assert response.url == reverse("import-detail", args=[job.pk])
    job = wait_for(job, ImportJob.State.READY, ImportJob.State.FAILED)
    assert job.state == ImportJob.State.READY, job.error
    assert job.preview["created"] == 60 and not DailyUpload.objects.exists()
    client.post(reverse("import-confirm", args=[job.pk]))
    job = wait_for(job, ImportJob.State.DONE, ImportJob.State.FAILED, ImportJob.State.REFUSED)
    assert job.state == ImportJob.State.DONE, job.error
    assert DailyUpload.objects.filter(institution=city.central).count() == 60
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert "已于" in page and "记入审计日志" in page


@pytest.fixture
def prefork_worker():
    """A worker as docker-compose starts one (the prefork pool, which enforces the
    tasks' time limits) on the default queue, emptied first, with a limit of 2 s."""
    celery_app.control.purge()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "HIPWATCH_IMPORT_TIME_LIMIT": "2",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            "-Q",
            "celery",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield
    stop_worker(process)


def test_a_file_past_the_time_limit_is_stopped_and_its_job_failed(
    client, city, users, settings, prefork_worker
):
    settings.HIPWATCH_IMPORT_TIME_LIMIT = 2  # what the page sends with the task
    connect(city.central, city.platform)
    # 150,000 rows as XLSX: far more than two seconds to check.
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["日期", "机构代码", "表代码", "上传记录数", "校验未通过数"])
    for d in range(500):
        day = (dt.date(2022, 1, 1) + dt.timedelta(days=d)).isoformat()
        for t in range(300):
            sheet.append([day, "41150000001", f"T{t}", d + t, 0])
    content = io.BytesIO()
    book.save(content)
    client.force_login(users.alice)
    started = time.monotonic()
    response = client.post(
        reverse("import-new", args=["uploads"]),
        {
            "file": SimpleUploadedFile("两年.xlsx", content.getvalue()),
            "platform": city.platform.code,
        },
    )
    assert response.status_code == 302 and time.monotonic() - started < 10
    job = wait_for(ImportJob.objects.get(), ImportJob.State.FAILED, ImportJob.State.READY)
    assert job.state == ImportJob.State.FAILED
    assert job.error == gettext(
        "The file took longer than %(seconds)d seconds and was stopped: split it into "
        "smaller files and import them one by one."
    ) % {"seconds": 2}
    assert not DailyUpload.objects.exists()
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert 'id="job-failed"' in page and job.error in page
