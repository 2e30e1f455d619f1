"""What may be attached to an answer, and who may download it."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext

from apps.rectification.attachments import MAX_SIZE
from apps.rectification.models import TaskAttachment, TaskEvent
from apps.rectification.services import task_answer

from .conftest import open_task, stored_files

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return out.getvalue()


@pytest.fixture
def task(city, users):
    return open_task(users.bob, city.hc_people)


def answer(client, task, *files):
    return client.post(
        f"/rectification/{task.pk}/answer/", {"text": "已整改", "files": list(files)}, follow=True
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "setup.exe",
            b"MZ\x90\x00",
            "“%(name)s” cannot be attached: only PDF, Word (doc, docx), Excel (xls, xlsx), "
            "JPG, PNG, TXT and ZIP files are accepted.",
        ),
        (
            "报告.pdf",
            b"MZ\x90\x00 not a pdf",
            "“%(name)s” cannot be attached: its content is not a %(type)s file. "
            "Do not rename files to change their type.",
        ),
        (
            "截图.png",
            JPEG,
            "“%(name)s” cannot be attached: its content is not a %(type)s file. "
            "Do not rename files to change their type.",
        ),
        (
            "说明.docx",
            b"plain text pretending",
            "“%(name)s” cannot be attached: its content is not a %(type)s file. "
            "Do not rename files to change their type.",
        ),
        (
            "日志.txt",
            b"\x00\x01\x02binary",
            "“%(name)s” cannot be attached: its content is not a %(type)s file. "
            "Do not rename files to change their type.",
        ),
    ],
)
def test_a_refused_file_refuses_the_answer_and_stores_nothing(
    login, task, users, media_root, name, content, message
):
    good = SimpleUploadedFile("ok.pdf", b"%PDF-1.7\n")
    response = answer(login(users.dana), task, good, SimpleUploadedFile(name, content))
    extension = name.rsplit(".", 1)[1].upper()
    assert gettext(message) % {"name": name, "type": extension} in response.content.decode()
    task.refresh_from_db()
    assert task.state == "open"
    assert not TaskAttachment.objects.exists()
    assert not TaskEvent.objects.filter(kind="answered").exists()
    assert stored_files(media_root) == []


def test_a_file_over_10_mb_is_refused(login, task, users, media_root):
    big = SimpleUploadedFile("扫描件.pdf", b"%PDF-1.4\n" + b"0" * MAX_SIZE)
    response = answer(login(users.dana), task, big)
    expected = gettext("“%(name)s” is larger than 10 MB and cannot be attached.") % {
        "name": "扫描件.pdf"
    }
    assert expected in response.content.decode()
    assert not TaskAttachment.objects.exists()
    assert stored_files(media_root) == []


def test_office_images_text_and_zip_files_are_accepted(login, task, users, media_root):
    files = [
        SimpleUploadedFile("方案.docx", docx_bytes()),
        SimpleUploadedFile("统计.xls", OLE2),
        SimpleUploadedFile("截图.PNG", PNG),
        SimpleUploadedFile("照片.jpg", JPEG),
        SimpleUploadedFile("说明.txt", "已于7月1日补传".encode("gb18030")),
        SimpleUploadedFile("日志.zip", docx_bytes()),
    ]
    answer(login(users.dana), task, *files)
    task.refresh_from_db()
    assert task.state == "answered"
    assert sorted(TaskAttachment.objects.values_list("original_name", flat=True)) == sorted(
        f.name for f in files
    )
    assert len(stored_files(media_root)) == 6
    # under MEDIA_ROOT/rectification/<year>/<month>/
    assert all(
        p.relative_to(media_root).parts[0] == "rectification" for p in stored_files(media_root)
    )


def test_attachments_are_downloaded_only_within_scope(login, city, users, task):
    task_answer(
        user=users.dana,
        task=task,
        text="已整改",
        files=[SimpleUploadedFile("报告.pdf", b"%PDF-1.4\n")],
    )
    attachment = TaskAttachment.objects.get()
    url = f"/rectification/attachments/{attachment.pk}/"
    for user in (users.bob, users.alice, users.dana):
        response = login(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4\n"
    assert login(users.charlie).get(url).status_code == 404


def test_attachments_have_no_public_url(client, settings, task, users):
    task_answer(
        user=users.dana,
        task=task,
        text="已整改",
        files=[SimpleUploadedFile("报告.pdf", b"%PDF-1.4\n")],
    )
    path = TaskAttachment.objects.get().file.name
    client.force_login(users.bob)
    assert client.get(f"/{settings.MEDIA_URL}{path}").status_code == 404
