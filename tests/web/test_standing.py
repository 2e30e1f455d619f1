"""A hospital's own standing: rank, the calendar of upload days, the trend and
what to fix first (tests/conftest.py describes the quarter)."""

import io
import re

import openpyxl
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

Q2 = {"period": "2023Q2"}


def page(client, org_code, **params):
    return client.get(reverse("institution-detail", args=[org_code]), {**Q2, **params})


def section(response, element_id):
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    return re.sub(r"\s+", " ", html[start : start + 6000])


def test_rank_among_the_city_and_the_category(login, quarter, users):
    response = page(login(users.dana), "41152600001")
    assert response.status_code == 200
    standing = response.context["standing"]
    # 中心医院 (connected, 75%) above 潢川 (connected, 25%) above 光山县人民医院
    # (not connected); 光山县中医院 is upstream, unranked.
    assert (standing.rank, standing.of) == (2, 3)
    assert (standing.category_rank, standing.category_of) == (2, 3)
    assert "第2名（共3家机构）" in section(response, "standing-rank")


def test_what_to_fix_first(login, quarter, users):
    response = page(login(users.dana), "41152600001")
    fixes = [(f.kind, f.text) for f in response.context["fixes"]]
    kinds = [k for k, _t in fixes]
    assert kinds == ["table", "table", "gap", "rejected"]
    # T2 and T3 are uploaded by one of the city's two connected institutions; T4 by
    # none of them: no advice to upload it.
    assert "T2" in fixes[0][1] and "T3" in fixes[1][1]
    assert not any("T4" in text for _k, text in fixes)
    assert "全市 2 家已联通机构中已有 1 家上传" in fixes[0][1]
    # Uploaded on 10 April only: 11 April to 30 June without records.
    assert "81" in fixes[2][1] and "2023-04-11" in fixes[2][1] and "2023-06-30" in fixes[2][1]
    assert "T1" in fixes[3][1] and "有 2 条记录未通过校验" in fixes[3][1]


def test_calendar_marks_upload_days_and_gaps(login, quarter, users):
    response = page(login(users.dana), "41152600001")
    months = response.context["calendar"]
    assert [m.label for m in months] == ["2023年4月", "2023年5月", "2023年6月"]
    states = {c.day.isoformat(): c.state for m in months for w in m.weeks for c in w if c.day}
    assert len(states) == 91
    assert states["2023-04-10"] == "upload"
    assert states["2023-04-09"] == "gap" and states["2023-04-11"] == "gap"
    assert sum(1 for s in states.values() if s == "gap") == 90
    html = section(response, "upload-calendar")
    assert 'class="upload" title="2023-04-10: 50"' in html


def test_calendar_of_a_not_connected_institution_has_no_gaps(login, quarter, users):
    response = page(login(users.charlie), "41152200001")
    states = {c.state for m in response.context["calendar"] for w in m.weeks for c in w if c.day}
    assert states == {"idle"}


def test_trend_over_four_quarters(login, quarter, users):
    response = page(login(users.dana), "41152600001")
    rows = response.context["trend"].rows
    assert [r[0] for r in rows] == [
        "2022年第三季度",
        "2022年第四季度",
        "2023年第一季度",
        "2023年第二季度",
    ]
    tier, tables, completeness, records = rows[-1][1:5]
    assert (tier, tables, str(completeness), records) == ("第三梯队", 1, "25.0", 50)


def test_page_tables_export_to_excel(login, quarter, users):
    response = page(login(users.dana), "41152600001", export="tables")
    assert response.status_code == 200
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert [r[0] for r in rows[2:]] == ["T1", "T2", "T3", "T4"]
    assert rows[2][4:6] == (50, 2)
    days = page(login(users.dana), "41152600001", export="days")
    day_rows = list(
        openpyxl.load_workbook(io.BytesIO(days.content)).active.iter_rows(values_only=True)
    )
    assert len(day_rows) == 2 + 91


@pytest.mark.parametrize(
    ("user", "params"), [("charlie", {"export": "tables"}), ("dana", {"export": "x"})]
)
def test_exports_are_scoped(login, quarter, users, user, params):
    response = page(login(getattr(users, user)), "41152600001", **params)
    assert response.status_code == 404


def test_institution_list_exports_every_filtered_row(login, quarter, users):
    client = login(users.alice)
    response = client.get(reverse("institution-list"), {**Q2, "tier": "1", "export": "xlsx"})
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert [r[1] for r in rows[2:]] == ["信阳市中心医院"]
    assert rows[2][10] == 27307 and rows[2][16] == "第一梯队"
    assert rows[1][6] == "申明上传表/规定上传表" and rows[2][6] == "未反馈/4"
    bob = login(users.bob).get(reverse("institution-list"), {**Q2, "export": "xlsx"})
    names = [
        r[1]
        for r in list(
            openpyxl.load_workbook(io.BytesIO(bob.content)).active.iter_rows(values_only=True)
        )[2:]
    ]
    assert names == ["潢川县人民医院"]
