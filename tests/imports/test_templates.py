"""Import templates and previews speak for themselves: each template's second sheet
(填写说明) says what every column takes, naming the accepted values; a refused value
names them too; the preview shows every column of a row to add, and once imported
the page says 已新增的行."""

import io

import pytest
from openpyxl import load_workbook

from apps.imports.models import ImportJob
from apps.institutions.models import Institution

pytestmark = pytest.mark.django_db


def test_every_template_carries_its_instructions(client, users):
    client.force_login(users.alice)
    for kind in ("institutions", "connections", "uploads", "phase_steps"):
        book = load_workbook(io.BytesIO(client.get(f"/imports/{kind}/template.xlsx").content))
        assert book.sheetnames[1] == "填写说明", kind
        template, notes = book.worksheets
        headers = [c.value for c in next(template.iter_rows(min_row=1, max_row=1))]
        rows = list(notes.iter_rows(min_row=2, values_only=True))
        assert [r[0] for r in rows] == headers, kind
        assert all(r[1] in ("是", "否") for r in rows), kind
    book = load_workbook(io.BytesIO(client.get("/imports/institutions/template.xlsx").content))
    notes = {r[0]: r[2] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert notes["机构类别"] == "须为：" + "、".join(Institution.Category.values) + "。"
    assert "三级甲等" in notes["等级"]


def test_a_refused_value_names_the_accepted_ones(client, users, city, celery_in_process):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(users.alice)
    head = "机构代码,机构名称,主管区划代码,机构类别,等级\n"
    client.post(
        "/imports/institutions/new/",
        {
            "file": SimpleUploadedFile(
                "x.csv", (head + "41152600098,城南医院,411526,诊所,特级\n").encode()
            )
        },
    )
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.REFUSED
    assert any("机构类别须为：综合医院、中医医院" in p for p in job.problems), job.problems
    assert any("等级须为：三级甲等" in p for p in job.problems), job.problems


def test_the_preview_shows_every_column_and_the_result_says_added(
    client, users, city, celery_in_process
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(users.alice)
    head = "机构代码,机构名称,主管区划代码,机构类别,等级\n"
    client.post(
        "/imports/institutions/new/",
        {
            "file": SimpleUploadedFile(
                "x.csv", (head + "41152600099,城南医院,411526,综合医院,二级乙等\n").encode()
            )
        },
    )
    job = ImportJob.objects.get()
    preview = client.get(f"/imports/{job.pk}/")
    added = next(s["sheet"] for s in preview.context["sections"] if s["sheet"].key == "added")
    assert added.title == "将新增的行"
    assert list(added.headers) == [
        "行号",
        "机构代码",
        "机构名称",
        "主管区划代码",
        "机构类别",
        "等级",
    ]
    assert added.rows == [[2, "41152600099", "城南医院", "411526", "综合医院", "二级乙等"]]
    client.post(f"/imports/{job.pk}/confirm/")
    done = client.get(f"/imports/{job.pk}/")
    added = next(s["sheet"] for s in done.context["sections"] if s["sheet"].key == "added")
    assert added.title == "已新增的行"
    assert "已新增" in done.content.decode()
