"""Open → answer with an attachment → accept, reopen, and the transitions each
role may not make."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext

from apps.rectification.models import RectificationTask, TaskAttachment, TaskEvent
from apps.rectification.services import task_accept, task_answer, task_open, task_reopen

from .conftest import open_task

PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def kinds(task):
    return list(task.events.values_list("kind", flat=True))


def test_officer_opens_hospital_answers_with_attachment_and_officer_accepts(
    login, city, users, media_root
):
    client = login(users.bob)
    response = client.post(
        "/rectification/new/",
        {
            "institution": "41152600001",
            "problem": "数据完整率不足",
            "requirement": "六月底前补传",
            "due_date": "2023-07-31",
        },
    )
    task = RectificationTask.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rectification/{task.pk}/"
    assert (task.institution, task.state, task.opened_by) == (city.hc_people, "open", users.bob)

    client = login(users.dana)
    page = client.get(f"/rectification/{task.pk}/")
    assert 'id="answer-form"' in page.content.decode()
    response = client.post(
        f"/rectification/{task.pk}/answer/",
        {"text": "已补传", "files": [SimpleUploadedFile("整改报告.pdf", PDF_BYTES)]},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == "answered"
    attachment = TaskAttachment.objects.get()
    assert (attachment.original_name, attachment.size) == ("整改报告.pdf", len(PDF_BYTES))
    assert attachment.event.text == "已补传"
    assert [p.read_bytes() for p in media_root.rglob("*.pdf")] == [PDF_BYTES]

    download = client.get(f"/rectification/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert "attachment" in download["Content-Disposition"]

    client = login(users.bob)
    page = client.get(f"/rectification/{task.pk}/").content.decode()
    assert "整改报告.pdf" in page and 'id="review-forms"' in page
    response = client.post(f"/rectification/{task.pk}/accept/", {"note": "通过"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == "accepted" and task.closed_at is not None
    assert kinds(task) == ["opened", "answered", "accepted"]


def test_a_reopened_task_awaits_an_answer_again(login, city, users):
    task = open_task(users.alice, city.hc_people)
    task_answer(user=users.dana, task=task, text="已整改")
    task_accept(user=users.alice, task=task)

    client = login(users.bob)
    response = client.post(f"/rectification/{task.pk}/reopen/", {"note": "七月仍有中断"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.state, task.closed_at) == ("reopened", None)
    assert TaskEvent.objects.filter(task=task, kind="reopened").get().text == "七月仍有中断"

    task_answer(user=users.dana, task=task, text="已恢复上传")
    task.refresh_from_db()
    assert task.state == "answered"
    assert kinds(task) == ["opened", "answered", "accepted", "reopened", "answered"]


def test_reopening_needs_a_reason(login, city, users):
    task = open_task(users.bob, city.hc_people)
    task_answer(user=users.dana, task=task, text="已整改")
    response = login(users.bob).post(
        f"/rectification/{task.pk}/reopen/", {"note": " "}, follow=True
    )
    assert gettext("Say why the task is reopened.") in response.content.decode()
    task.refresh_from_db()
    assert task.state == "answered"


def test_hospital_staff_cannot_open_accept_or_reopen(login, city, users):
    task = open_task(users.bob, city.hc_people)
    task_answer(user=users.dana, task=task, text="已整改")
    client = login(users.dana)
    assert client.get("/rectification/new/").status_code == 403
    assert client.post(f"/rectification/{task.pk}/accept/").status_code == 403
    assert client.post(f"/rectification/{task.pk}/reopen/", {"note": "x"}).status_code == 403
    task.refresh_from_db()
    assert task.state == "answered"
    assert kinds(task) == ["opened", "answered"]


def test_officers_cannot_answer(login, city, users):
    task = open_task(users.bob, city.hc_people)
    for officer in (users.bob, users.alice):
        response = login(officer).post(f"/rectification/{task.pk}/answer/", {"text": "代答"})
        assert response.status_code == 403
    task.refresh_from_db()
    assert task.state == "open"


def test_only_an_answered_task_can_be_accepted(login, city, users):
    task = open_task(users.bob, city.hc_people)
    response = login(users.bob).post(f"/rectification/{task.pk}/accept/", follow=True)
    assert gettext("Only an answered task can be accepted.") in response.content.decode()
    task.refresh_from_db()
    assert task.state == "open" and task.closed_at is None
    with pytest.raises(ValidationError):
        task_reopen(user=users.bob, task=task, note="x")


def test_an_answered_task_cannot_be_answered_again(city, users):
    task = open_task(users.bob, city.hc_people)
    task_answer(user=users.dana, task=task, text="一")
    with pytest.raises(ValidationError):
        task_answer(user=users.dana, task=task, text="二")
    assert kinds(task) == ["opened", "answered"]


def test_an_officer_cannot_open_a_task_outside_their_region(login, city, users):
    with pytest.raises(PermissionDenied):
        open_task(users.charlie, city.hc_people)
    response = login(users.charlie).post(
        "/rectification/new/",
        {
            "institution": "41152600001",
            "problem": "p",
            "requirement": "r",
            "due_date": "2023-07-31",
        },
    )
    assert response.status_code == 404  # another county's hospital: refused whole
    assert not RectificationTask.objects.exists()


def test_the_bulletin_must_be_one_the_officer_sees(city, users):
    from tests.conftest import make_bulletin

    bulletin = make_bulletin(users.alice, city.platform)  # a draft: city officers only
    with pytest.raises(ValidationError):
        task_open(
            user=users.bob,
            institution=city.hc_people,
            problem="p",
            requirement="r",
            due_date=dt.date(2023, 7, 31),
            bulletin=bulletin,
        )
    task = open_task(users.alice, city.hc_people, bulletin=bulletin)
    assert task.bulletin == bulletin


def test_the_institution_page_links_officers_to_a_prefilled_new_task(login, city, users):
    client = login(users.bob)
    page = client.get("/institutions/41152600001/").content.decode()
    assert "/rectification/new/?institution=41152600001" in page
    form = client.get("/rectification/new/?institution=41152600001").content.decode()
    assert 'value="41152600001" selected' in form
    assert "光山县人民医院" not in form
    staff_page = login(users.dana).get("/institutions/41152600001/").content.decode()
    assert "/rectification/new/" not in staff_page
