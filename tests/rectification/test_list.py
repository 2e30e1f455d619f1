"""The task list, the counts per region and their Excel exports: scoped, and the
workbook holds the rows the page shows."""

import datetime as dt
import io

import pytest
import time_machine
from django.utils.translation import gettext
from openpyxl import load_workbook

from apps.rectification.services import task_answer

from .conftest import open_task

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def tasks(city, users):
    hc = open_task(users.bob, city.hc_people, due_date=dt.date(2023, 7, 10))
    hc_answered = open_task(users.alice, city.hc_people, due_date=dt.date(2023, 7, 20))
    task_answer(user=users.dana, task=hc_answered, text="已整改")
    gs = open_task(users.charlie, city.gs_people, due_date=dt.date(2023, 7, 1))
    central = open_task(users.alice, city.central, due_date=dt.date(2023, 8, 1))
    return {"hc": hc, "hc_answered": hc_answered, "gs": gs, "central": central}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2023, 7, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def workbook_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).active.values]


def page_rows(sheet):
    return [[cell.value for cell in row] for _css, row in sheet.cells()]


def test_a_city_officer_sees_the_counties_side_by_side(login, users, tasks):
    response = login(users.bob).get("/rectification/")
    assert [c[0] for c in page_rows(response.context["regions"])] == ["潢川县"]

    response = login(users.alice).get("/rectification/")
    regions = page_rows(response.context["regions"])
    directly = f"信阳市（{gettext('Directly under the city')}）"
    # region, awaiting answer, awaiting review, open, overdue, accepted
    assert sorted(regions) == sorted(
        [
            [directly, 1, 0, 1, 0, 0],
            ["光山县", 1, 0, 1, 1, 0],
            ["潢川县", 1, 1, 2, 1, 0],
        ]
    )
    assert len(response.context["tasks"].rows) == 4
    assert "潢川县人民医院" in response.content.decode()


def test_a_county_officer_sees_only_their_county(login, users, tasks):
    client = login(users.bob)
    response = client.get("/rectification/")
    assert {r[3] for r in response.context["tasks"].rows} == {"41152600001"}
    assert "光山县人民医院" not in response.content.decode()
    assert client.get("/rectification/", {"region": "411522"}).status_code == 404
    assert client.get(f"/rectification/{tasks['gs'].pk}/").status_code == 404
    for action in ("accept", "reopen", "answer", "comment"):
        url = f"/rectification/{tasks['gs'].pk}/{action}/"
        assert client.post(url, {"note": "x", "text": "x"}).status_code == 404


def test_hospital_staff_see_their_own_tasks(login, users, tasks):
    response = login(users.dana).get("/rectification/")
    assert {r[3] for r in response.context["tasks"].rows} == {"41152600001"}
    assert login(users.dana).get(f"/rectification/{tasks['central'].pk}/").status_code == 404


def test_filters_by_state_and_region(login, users, tasks):
    client = login(users.alice)
    answered = client.get("/rectification/", {"state": "answered"}).context["tasks"].rows
    assert [r[4].url for r in answered] == [f"/rectification/{tasks['hc_answered'].pk}/"]
    in_guangshan = client.get("/rectification/", {"region": "411522"}).context["tasks"].rows
    assert [r[3] for r in in_guangshan] == ["41152200001"]


def test_the_export_holds_the_rows_of_the_page(login, users, tasks):
    client = login(users.alice)
    query = {"state": "open", "overdue": "on"}
    page = client.get("/rectification/", query).context["tasks"]
    rows = workbook_rows(client.get("/rectification/", {**query, "export": "tasks"}))
    assert rows[0] == [str(h) for h in page.headers]
    exported = rows[1:]
    assert len(exported) == 2
    for got, shown in zip(exported, page_rows(page), strict=True):
        assert got[:5] == shown[:5]
        assert got[5].date() == shown[5]  # due date, a date cell
        assert got[6:9] == shown[6:9]
    assert [r[7] for r in exported] == [14, 5]  # days overdue on 2023-07-15


def test_the_region_export_holds_the_counts_of_the_page(login, users, tasks):
    client = login(users.alice)
    page = page_rows(client.get("/rectification/").context["regions"])
    rows = workbook_rows(client.get("/rectification/", {"export": "regions"}))
    assert rows[1:] == page


def test_exports_are_scoped(login, users, tasks):
    client = login(users.bob)
    rows = workbook_rows(client.get("/rectification/", {"export": "tasks"}))
    assert {r[3] for r in rows[1:]} == {"41152600001"}
    regions = workbook_rows(client.get("/rectification/", {"export": "regions"}))
    assert [r[0] for r in regions[1:]] == ["潢川县"]
    assert client.get("/rectification/", {"export": "tasks", "region": "411522"}).status_code == 404
