"""Imports from the browser: upload → preview (rows to add, to change old → new,
unchanged; problems by row) → confirm. Nothing is written before the confirmation,
a refused file writes nothing, and a confirmed import is audited with its file,
counts and officer. The importers are those of the command line."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from apps.audit.models import AuditEvent
from apps.core.models import DataVersion
from apps.imports.models import ImportJob
from apps.institutions.models import Institution
from apps.platforms.models import ConnectionChange, TableEdition
from apps.uploads.models import DailyUpload
from tests.conftest import connect
from tests.factories import RegionFactory, UserFactory

HEAD = "机构代码,机构名称,主管区划代码,机构类别,等级\n"
GOOD = HEAD + (
    "41152600009,潢川县新城医院,411526,综合医院,二级甲等\n"
    "41150000001,信阳市中心医院（东院区）,411500,综合医院,三级甲等\n"
    "41152200001,光山县人民医院,411522,综合医院,二级甲等\n"
)


def upload(client, kind, text: str | bytes, name="file.csv", **fields):
    data = text.encode("utf-8") if isinstance(text, str) else text
    response = client.post(
        reverse("import-new", args=[kind]),
        {"file": SimpleUploadedFile(name, data), **fields},
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    return ImportJob.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))


@pytest.fixture(autouse=True)
def checked_in_process(celery_in_process):
    """Every kind is checked and imported by a Celery task: here, in the test's
    process, whatever REDIS_URL says (test_every_kind_on_a_worker.py has the broker)."""


@pytest.fixture
def officer_client(client, users):
    client.force_login(users.alice)
    return client


def imports_audited():
    return AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT)


def test_a_file_with_a_bad_row_is_refused_by_row_and_writes_nothing(officer_client, city):
    before = Institution.objects.count()
    bad = GOOD + "4115 XX,,411526,诊所,二级\n"
    job = upload(officer_client, "institutions", bad, name="机构-有误.csv")
    assert job.state == ImportJob.State.REFUSED
    page = officer_client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert "文件未通过检查" in page and "未写入任何数据" in page
    assert "第 5 行：机构代码“4115 XX”格式不正确。" in page
    assert "第 5 行：机构名称为空。" in page
    assert "第 5 行：未知的机构类别“诊所”，机构类别须为：综合医院" in page
    assert Institution.objects.count() == before
    assert not imports_audited().exists()
    assert 'id="confirm-import"' not in page


def test_preview_shows_what_would_change_and_writes_nothing(officer_client, city):
    version = DataVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    job = upload(officer_client, "institutions", GOOD, name="机构名单.csv")
    assert job.state == ImportJob.State.READY
    assert (job.preview["created"], job.preview["updated"], job.preview["unchanged"]) == (1, 1, 1)
    page = officer_client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert "<td>41152600009</td><td>潢川县新城医院</td>" in page  # every column of the row
    # The change, old → new, under the file's own header.
    assert "机构名称" in page and "信阳市中心医院（东院区）" in page and "信阳市中心医院<" in page
    assert 'id="confirm-import"' in page
    # Nothing written: no institution, no audit row, the data version as it was.
    assert not Institution.objects.filter(org_code="41152600009").exists()
    assert Institution.objects.get(org_code="41150000001").name == "信阳市中心医院"
    assert not imports_audited().exists()
    assert DataVersion.objects.filter(pk=1).values_list("version", flat=True).first() == version


def test_confirming_writes_once_and_is_audited(officer_client, city, users):
    job = upload(officer_client, "institutions", GOOD, name="机构名单.csv")
    confirm = reverse("import-confirm", args=[job.pk])
    assert officer_client.post(confirm).status_code == 302
    assert officer_client.post(confirm).status_code == 302  # a second click imports nothing
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and job.confirmed_by == users.alice
    assert Institution.objects.get(org_code="41152600009").region_id == "411526"
    assert Institution.objects.get(org_code="41150000001").name == "信阳市中心医院（东院区）"
    (event,) = imports_audited()
    assert event.actor == users.alice
    assert event.details["file"] == "机构名单.csv"
    assert (event.details["created"], event.details["updated"]) == (1, 1)
    # The same file again changes nothing.
    again = upload(officer_client, "institutions", GOOD)
    assert (again.preview["created"], again.preview["updated"], again.preview["unchanged"]) == (
        0,
        0,
        3,
    )


def test_cancelling_writes_nothing(officer_client, city):
    job = upload(officer_client, "institutions", GOOD)
    officer_client.post(reverse("import-cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.CANCELLED
    assert officer_client.post(reverse("import-confirm", args=[job.pk])).status_code == 302
    assert not Institution.objects.filter(org_code="41152600009").exists()


def test_an_officer_imports_only_inside_their_region(client, city, users):
    nanyang = RegionFactory(code="411300", name="南阳市", level="city", parent=city.province)
    county_seat = RegionFactory(code="411321", name="南召县", level="county", parent=nanyang)
    client.force_login(users.alice)
    job = upload(
        client, "institutions", HEAD + "41132100001,南召县人民医院,411321,综合医院,二级甲等\n"
    )
    assert job.state == ImportJob.State.REFUSED
    assert "区划 411321 不在您管辖的信阳市范围内" in job.problems[0]
    # Another city's officer does not see the job at all.
    other = UserFactory(username="nora", role="city", region=nanyang)
    client.force_login(other)
    assert client.get(reverse("import-detail", args=[job.pk])).status_code == 404
    assert client.post(reverse("import-confirm", args=[job.pk])).status_code == 404
    assert county_seat.pk == "411321"


def test_regions_are_for_superusers_and_county_users_import_nothing(client, city, users):
    client.force_login(users.alice)
    assert client.get(reverse("import-new", args=["regions"])).status_code == 404
    assert client.get(reverse("import-index")).status_code == 200
    client.force_login(users.bob)
    assert client.get(reverse("import-index")).status_code == 404
    assert client.get(reverse("import-new", args=["institutions"])).status_code == 404
    client.force_login(users.admin)
    job = upload(client, "regions", "区划代码,名称,级别,上级区划代码\n411527,淮滨县,县,411500\n")
    assert job.state == ImportJob.State.READY and job.preview["created"] == 1


def test_a_catalogue_edition_with_categories_and_valid_from(officer_client, city):
    text = "表代码,表名称,类别\nT1,表一,门诊\nT9,表九,住院\n"
    job = upload(
        officer_client,
        "tables",
        text,
        platform=city.platform.code,
        edition="2024中医版",
        valid_from="2024-01-01",
        categories=["中医医院"],
    )
    assert job.state == ImportJob.State.READY and job.preview["created"] == 2
    assert "自 2024-01-01 起" in job.preview["notes"][0]
    assert not TableEdition.objects.filter(name="2024中医版").exists()
    officer_client.post(reverse("import-confirm", args=[job.pk]))
    edition = TableEdition.objects.get(name="2024中医版")
    assert edition.valid_from == dt.date(2024, 1, 1) and edition.categories == ["中医医院"]
    assert sorted(edition.tables.values_list("code", flat=True)) == ["T1", "T9"]


def test_connection_statuses_in_bulk(officer_client, city, users):
    connect(city.hc_people, city.platform, since=dt.date(2023, 1, 1))
    text = (
        "机构代码,联通状态,生效日期\n41152600001,已联通,2023-01-01\n41152200001,联调中,2023-03-01\n"
    )
    job = upload(officer_client, "connections", text, platform=city.platform.code)
    assert job.state == ImportJob.State.READY
    assert (job.preview["updated"], job.preview["unchanged"]) == (1, 1)
    assert job.preview["changed_rows"][0]["changes"] == [["联通状态", "未联通", "联调中"]]
    assert not ConnectionChange.objects.filter(source="import").exists()
    officer_client.post(reverse("import-confirm", args=[job.pk]))
    change = ConnectionChange.objects.get(source="import")
    assert (change.to_status, change.effective_date) == ("integrating", dt.date(2023, 3, 1))
    assert change.entered_by == users.alice
    bad = upload(
        officer_client,
        "connections",
        "机构代码,联通状态,生效日期\n41152600001,通了,2099-01-01\n",
        platform=city.platform.code,
    )
    assert bad.state == ImportJob.State.REFUSED
    assert any("无法识别的联通状态“通了”" in p for p in bad.problems)


def test_daily_statistics_run_on_the_worker_with_a_preview(officer_client, city, celery_in_process):
    connect(city.central, city.platform)
    text = "日期,机构代码,表代码,上传记录数,校验未通过数\n" + "".join(
        f"2023-06-{d:02d},41150000001,T1,{d * 10},0\n" for d in range(1, 31)
    )
    job = upload(officer_client, "uploads", text, platform=city.platform.code)
    assert job.state == ImportJob.State.READY and job.preview["created"] == 30
    assert not DailyUpload.objects.exists()
    officer_client.post(reverse("import-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert DailyUpload.objects.filter(institution=city.central).count() == 30
    revised = text.replace("2023-06-30,41150000001,T1,300,0", "2023-06-30,41150000001,T1,301,2")
    job = upload(officer_client, "uploads", revised, platform=city.platform.code)
    assert (job.preview["updated"], job.preview["unchanged"]) == (1, 29)
    assert job.preview["changed_rows"][0]["changes"] == [
        ["上传记录数", "300", "301"],
        ["校验未通过数", "0", "2"],
    ]


def test_each_kind_has_a_template_that_imports_as_it_is(officer_client, city, users):
    for kind in ("institutions", "tables", "connections", "uploads"):
        response = officer_client.get(reverse("import-template", args=[kind]))
        assert response.status_code == 200
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        assert len(rows) == 2, kind  # the Chinese headers and one example row
        assert all("\u4e00" <= str(h)[0] <= "\u9fff" for h in rows[0]), rows[0]
    template = officer_client.get(reverse("import-template", args=["institutions"])).content
    job = upload(officer_client, "institutions", template, name="template.xlsx")
    assert job.state == ImportJob.State.READY, job.problems
