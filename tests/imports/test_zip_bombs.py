"""An XLSX is a zip, and a small one can unpack to hundreds of megabytes (a 1.4 MB
file expanding to 420 MB held a request for 154 s). Every importer reads its file
through apps/core/tabular.py, which refuses such a file from the zip's directory,
before unpacking anything: quickly, with one reason and no row, writing nothing. A
file that only looks like a zip is refused as well, not failed."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext
from openpyxl import Workbook

from apps.audit.models import AuditEvent
from apps.imports.models import ImportJob
from apps.institutions.models import Institution

SHEET = "xl/worksheets/sheet1.xml"
MB = 1024 * 1024


def institutions_xlsx(more: int = 0) -> bytes:
    """A real workbook, as Excel or WPS saves one: a header, one good row and `more`
    rows of other hospitals."""
    book = Workbook()
    book.active.append(["机构代码", "机构名称", "主管区划代码", "机构类别", "等级"])
    book.active.append(["41152600009", "潢川县新城医院", "411526", "综合医院", "二级甲等"])
    for n in range(more):
        book.active.append([f"4115261{n:04d}", f"潢川县第{n}卫生院", "411526", "其他", "未定级"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def padded(xlsx: bytes, megabytes: int) -> bytes:
    """The same workbook with `megabytes` of blanks inside its sheet's data: still a
    valid sheet with the same rows, packed about a thousand times. Written a megabyte
    at a time, so the test holds only the packed file."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb,
    ):
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename != SHEET:
                bomb.writestr(part.filename, data)
                continue
            head, tail = data.split(b"<sheetData>")
            with bomb.open(SHEET, "w", force_zip64=True) as sheet:
                sheet.write(head + b"<sheetData>")
                blanks = b" " * MB
                for _ in range(megabytes):
                    sheet.write(blanks)
                sheet.write(tail)
    return out.getvalue()


def unpacked_size(xlsx: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return sum(part.file_size for part in archive.infolist())


@pytest.fixture
def officer_client(client, users, celery_in_process):
    client.force_login(users.alice)
    return client


def upload(client, content: bytes, name: str) -> tuple[ImportJob, float]:
    started = time.monotonic()
    response = client.post(
        reverse("import-new", args=["institutions"]),
        {"file": SimpleUploadedFile(name, content)},
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 302, response.content.decode()[-1500:]
    return ImportJob.objects.get(pk=int(response.url.rstrip("/").split("/")[-1])), elapsed


def assert_nothing_written(before: int) -> None:
    assert Institution.objects.count() == before
    assert not Institution.objects.filter(org_code="41152600009").exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()


def test_an_xlsx_unpacking_to_more_than_the_limit_is_refused_before_it_is_unpacked(
    officer_client, city
):
    before = Institution.objects.count()
    bomb = padded(institutions_xlsx(), 300)
    assert len(bomb) < 2 * MB  # a small upload…
    total = unpacked_size(bomb)
    assert total > 300 * MB  # …that unpacks to 300 MB
    job, elapsed = upload(officer_client, bomb, "机构.xlsx")
    assert elapsed < 5, elapsed  # parsing it took minutes
    assert job.state == ImportJob.State.REFUSED, job.error
    assert job.problems == [
        gettext(
            "The XLSX file unpacks to %(size)s, more than the %(limit)s an import "
            "may read: split it into smaller files."
        )
        % {"size": filesizeformat(total), "limit": filesizeformat(200 * MB)}
    ]
    assert_nothing_written(before)
    page = officer_client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert 'id="job-refused"' in page and 'id="confirm-import"' not in page


def test_a_part_packed_far_tighter_than_a_spreadsheet_is_refused(officer_client, city, settings):
    """Below the total, a part unpacking to a thousand times its size is still no
    spreadsheet: Excel's and WPS's sheets pack 5 to 20 times."""
    settings.HIPWATCH_IMPORT_MAX_ZIP_RATIO = 100
    before = Institution.objects.count()
    bomb = padded(institutions_xlsx(), 40)
    job, elapsed = upload(officer_client, bomb, "机构.xlsx")
    assert elapsed < 5, elapsed
    assert job.state == ImportJob.State.REFUSED, job.error
    (problem,) = job.problems
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        sheet = archive.getinfo(SHEET)
    assert problem == gettext(
        "The XLSX file is not an ordinary spreadsheet: its part “%(name)s” "
        "unpacks to %(ratio)d times its packed size (at most %(limit)d)."
    ) % {"name": SHEET, "ratio": sheet.file_size // sheet.compress_size, "limit": 100}
    assert_nothing_written(before)


def test_the_limits_leave_a_real_workbook_alone(officer_client, city):
    job, _elapsed = upload(officer_client, institutions_xlsx(), "机构.xlsx")
    assert job.state == ImportJob.State.READY, job.problems
    assert job.preview["created"] == 1


def damaged(xlsx: bytes) -> bytes:
    """The workbook with its sheet's packed bytes overwritten in the middle: the zip's
    directory is intact, so the damage shows only while the sheet is read."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        sheet = archive.getinfo(SHEET)
    raw = bytearray(xlsx)
    # The part's data follows its 30-byte local header, its name and its extra field.
    name_length = int.from_bytes(raw[sheet.header_offset + 26 : sheet.header_offset + 28], "little")
    extra_length = int.from_bytes(
        raw[sheet.header_offset + 28 : sheet.header_offset + 30], "little"
    )
    start = sheet.header_offset + 30 + name_length + extra_length
    middle = start + sheet.compress_size // 2
    raw[middle : middle + 16] = b"\xff" * 16
    return bytes(raw)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda: b"PK\x03\x04" + b"not a zip at all" * 100, id="not-a-zip"),
        pytest.param(lambda: damaged(institutions_xlsx(more=2000)), id="damaged-sheet"),
    ],
)
def test_a_file_that_is_no_readable_xlsx_is_refused_not_failed(officer_client, city, content):
    before = Institution.objects.count()
    job, _elapsed = upload(officer_client, content(), "机构.xlsx")
    assert job.state == ImportJob.State.REFUSED, job.error
    (problem,) = job.problems
    assert problem.startswith(gettext("The XLSX file cannot be opened: %(error)s").split("%")[0])
    assert_nothing_written(before)
