"""A statistics file imported from the browser is checked and imported by a real
Celery worker process taking the tasks from Redis (the CI's PostgreSQL and Redis
pass: a worker cannot share the SQLite run's in-memory database)."""

import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.imports.models import ImportJob
from apps.uploads.models import DailyUpload
from tests.conftest import connect
from tests.ingestion.test_worker import default_worker  # noqa: F401  (a fixture)
from tests.processes import needs_database_server

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
