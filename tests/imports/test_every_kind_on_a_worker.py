"""No web request waits on a file: whatever its kind, an uploaded file is handed to
a Celery worker to check, and a confirmed one to import, each task with its time
limit. Here tasks go to the broker as they do with REDIS_URL set (without it, to
Celery's in-memory one) and no worker takes them: the pages answer at once, the job
is still being checked, and its page says so until a worker has done it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext
from kombu.simple import SimpleQueue

from apps.imports.kinds import KINDS
from apps.imports.models import ImportJob
from apps.institutions.models import Institution

FIELDS = {
    "tables": {"edition": "2024", "valid_from": "2024-01-01"},
    "declarations": {"edition": "2023"},
    "phase_targets": {"phase": "二期"},
    "phase_steps": {"phase": "二期"},
}


@pytest.fixture
def broker(monkeypatch, settings):
    """Tasks are sent to the broker, and no worker takes them; the time limit is
    the settings' (soft, and a minute more for the hard one)."""
    from config.celery_app import app

    settings.HIPWATCH_IMPORT_TIME_LIMIT = 321
    monkeypatch.setitem(app.conf, "CELERY_TASK_ALWAYS_EAGER", False)
    app.control.purge()
    yield app
    app.control.purge()


def waiting(app) -> list[tuple[str, list, list]]:
    """Take every message waiting on the default queue: (task, args, time limits)."""
    taken = []
    with app.connection_for_read() as connection:
        queue = SimpleQueue(connection, app.conf.task_default_queue)
        while True:
            try:
                message = queue.get_nowait()
            except SimpleQueue.Empty:
                break
            args, _kwargs, _embed = message.payload
            taken.append((message.headers["task"], args, message.headers["timelimit"]))
            message.ack()
        queue.close()
    return taken


def run_as_a_worker(app, task: str, args: list) -> None:
    app.tasks[task].apply(args=args)


LIMITS = [381, 321]  # hard, soft: as the broker fixture's settings say


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_is_checked_on_a_worker_not_in_the_request(client, city, users, broker, kind):
    client.force_login(users.admin)
    template = client.get(reverse("import-template", args=[kind])).content
    fields = {"platform": city.platform.code, **FIELDS.get(kind, {})}
    response = client.post(
        reverse("import-new", args=[kind]),
        {"file": SimpleUploadedFile("模板.xlsx", template), **fields},
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    job = ImportJob.objects.get()
    assert response.url == reverse("import-detail", args=[job.pk])
    assert (job.state, job.preview, job.problems) == (ImportJob.State.CHECKING, None, [])

    page = client.get(response.url).content.decode()
    assert gettext("The file is being checked: nothing is written yet.") in page
    assert 'id="job-progress"' in page and 'http-equiv="refresh"' in page
    assert 'id="confirm-import"' not in page

    assert waiting(broker) == [("apps.imports.tasks.import_check", [job.pk], LIMITS)]
    run_as_a_worker(broker, "apps.imports.tasks.import_check", [job.pk])
    job.refresh_from_db()
    assert job.state in (ImportJob.State.READY, ImportJob.State.REFUSED), job.error


def test_a_confirmed_import_is_carried_out_on_a_worker(client, city, users, broker):
    client.force_login(users.alice)
    text = "机构代码,机构名称,主管区划代码,机构类别,等级\n41152600009,潢川县新城医院,411526,综合医院,二级甲等\n"
    client.post(
        reverse("import-new", args=["institutions"]),
        {"file": SimpleUploadedFile("机构.csv", text.encode())},
    )
    job = ImportJob.objects.get()
    ((task, args, _limits),) = waiting(broker)
    run_as_a_worker(broker, task, args)
    job.refresh_from_db()
    assert job.state == ImportJob.State.READY, job.problems

    response = client.post(reverse("import-confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJob.State.IMPORTING
    assert not Institution.objects.filter(org_code="41152600009").exists()
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert gettext("The file is being imported.") in page and 'http-equiv="refresh"' in page

    assert waiting(broker) == [("apps.imports.tasks.import_run", [job.pk], LIMITS)]
    run_as_a_worker(broker, "apps.imports.tasks.import_run", [job.pk])
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.error
    assert Institution.objects.filter(org_code="41152600009").exists()
