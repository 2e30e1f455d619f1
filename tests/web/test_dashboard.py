"""The supervision dashboard: every chart's figures as a table, the same in its
Excel export, scoped like every page (tests/conftest.py describes the quarter)."""

import io
import re

import openpyxl
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
Q2 = {"period": "2023Q2"}


def sheet_rows(response, key):
    """The rows of one table on the page, as the text of their cells."""
    html = response.content.decode()
    start = html.index(f'id="sheet-{key}"')
    body = html[start : html.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in rows
    ]


def workbook_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_city_officer_sees_every_panel_with_its_figures(login, quarter, users):
    response = login(users.alice).get(DASHBOARD, Q2)
    assert response.status_code == 200
    keys = [p.sheet.key for p in response.context["panels"]]
    assert keys == [
        "silent", "overdue", "anomalies", "connection", "tiers", "continuity", "months",
        "interruptions", "regions", "movers",
    ]  # fmt: skip
    assert sheet_rows(response, "connection") == [
        ["已联通", "2", "50%"],
        ["已联通省平台", "1", "25%"],
        ["联调中", "0", "0%"],
        ["未联通", "1", "25%"],
    ]
    tiers = dict((r[0], r[1]) for r in sheet_rows(response, "tiers"))
    assert tiers["第一梯队"] == "1" and tiers["第三梯队"] == "1" and tiers["第四梯队"] == "0"
    assert tiers["未联通"] == "1" and tiers["已联通省平台"] == "1"


def test_months_show_records_and_mean_completeness(login, quarter, users):
    rows = sheet_rows(login(users.alice).get(DASHBOARD, Q2), "months")
    assert [r[0] for r in rows] == [
        "2023年1月", "2023年2月", "2023年3月", "2023年4月", "2023年5月", "2023年6月"
    ]  # fmt: skip
    june = rows[-1]
    # 中心医院 T1-T3 × 100 on 30 days and 7 outside the catalogue; 潢川 nothing in June.
    assert june[4] == "9,007"
    # Mean completeness of the two connected: 75.0 and 0.0.
    assert june[2] == "37.5"
    april = rows[3]
    assert april[2] == "50.0"  # 75.0 and 25.0 (潢川 uploaded T1 on 10 April)


def test_interruptions_list_the_longest_first_with_links(login, quarter, users):
    response = login(users.alice).get(DASHBOARD, Q2)
    rows = sheet_rows(response, "interruptions")
    assert rows[0][0] == "潢川县人民医院" and rows[0][2] == "90"
    assert 'href="/institutions/41152600001/' in response.content.decode()
    chart = next(c for c in response.context["charts"] if c["id"] == "interruptions")
    assert chart["categories"] == ["潢川县人民医院"] and chart["series"][0]["data"] == [90]


def test_counties_side_by_side_for_the_city_only(login, quarter, users):
    city = sheet_rows(login(users.alice).get(DASHBOARD, Q2), "regions")
    assert [r[0] for r in city] == ["市直", "光山县", "潢川县"]
    bob = login(users.bob).get(DASHBOARD, Q2)
    assert "regions" not in [p.sheet.key for p in bob.context["panels"]]


def test_county_officer_sees_only_the_county(login, quarter, users):
    response = login(users.bob).get(DASHBOARD, Q2)
    html = response.content.decode()
    assert "潢川县人民医院" in html
    assert "光山县" not in html and "信阳市中心医院" not in html
    assert response.context["summary"].institutions == 1


def test_movers_compare_with_the_previous_quarter(login, quarter, users):
    rows = sheet_rows(login(users.alice).get(DASHBOARD, Q2), "movers")
    # Nothing was uploaded in Q1: both connected institutions moved up from 0.0.
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        ("信阳市中心医院", "0.0", "75.0", "+75.0"),
        ("潢川县人民医院", "0.0", "25.0", "+25.0"),
    ]


@pytest.mark.parametrize("key", ["connection", "tiers", "months", "interruptions", "regions"])
def test_each_table_exports_the_figures_it_shows(login, quarter, users, key):
    client = login(users.alice)
    page = sheet_rows(client.get(DASHBOARD, Q2), key)
    response = client.get(DASHBOARD, {**Q2, "export": key})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    [rows] = workbook_rows(response).values()
    exported = rows[2:]  # the heading, then the headers

    def same(cell):
        """A cell of either side as a comparable value: numbers as numbers (the
        page groups thousands), dates as ISO text, empty as None."""
        if cell is None or cell == "—":
            return None
        if hasattr(cell, "date"):
            return cell.date().isoformat()
        if isinstance(cell, int | float):
            return float(cell)
        try:
            return float(cell.replace(",", ""))
        except ValueError:
            return cell

    assert [[same(c) for c in row] for row in exported] == [[same(c) for c in r] for r in page]


def test_a_panel_shows_its_first_rows_and_exports_them_all(login, quarter, users, monkeypatch):
    """A province's panel would list 2,000 institutions: the page shows the first
    PANEL_ROWS of each table and says so; the export holds every row."""
    from apps.web import dashboard

    monkeypatch.setattr(dashboard, "PANEL_ROWS", 1)
    client = login(users.alice)
    response = client.get(DASHBOARD, Q2)
    page = sheet_rows(response, "movers")
    assert [r[0] for r in page] == ["信阳市中心医院"]
    assert "仅列出 2 行中的前 1 行；导出文件包含全部。" in response.content.decode()
    [rows] = workbook_rows(client.get(DASHBOARD, {**Q2, "export": "movers"})).values()
    assert [r[0] for r in rows[2:]] == ["信阳市中心医院", "潢川县人民医院"]
    # Links to the institutions as reverse() writes them, the period kept.
    assert 'href="/institutions/41150000001/?' in response.content.decode()


def test_export_all_gives_one_sheet_per_table(login, quarter, users):
    response = login(users.alice).get(DASHBOARD, {**Q2, "export": "all"})
    assert len(workbook_rows(response)) == 10


@pytest.mark.parametrize(
    ("user", "params"),
    [
        ("bob", {"region": "411522"}),
        ("charlie", {"region": "411526"}),
        ("bob", {"region": "411522", "export": "all"}),
        ("alice", {"export": "nonsense"}),
    ],
)
def test_outside_scope_or_unknown_table_answers_404(login, quarter, users, user, params):
    response = login(getattr(users, user)).get(DASHBOARD, {**Q2, **params})
    assert response.status_code == 404


def test_hospital_user_gets_her_own_page(login, quarter, users):
    response = login(users.dana).get(DASHBOARD, Q2)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("institution-detail", args=["41152600001"]))


def test_charts_are_drawn_from_local_files(login, quarter, users):
    html = login(users.alice).get(DASHBOARD, Q2).content.decode()
    assert "/static/vendor/echarts/echarts.min.js" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)


def test_home_tables_export_the_figures_they_show(login, quarter, users):
    client = login(users.alice)
    page = client.get(reverse("home"), Q2)
    groups = page.context["breakdown"]
    response = client.get(reverse("home"), {**Q2, "export": "regions"})
    [rows] = workbook_rows(response).values()
    exported = {r[0]: r for r in rows[2:]}
    assert list(exported) == [g.label for g in groups] == ["市直", "光山县", "潢川县"]
    guangshan = exported["光山县"]
    assert guangshan[1:7] == (2, 0, 1, 1, 50, "1/2")
    unconnected = client.get(reverse("home"), {**Q2, "export": "unconnected"})
    [rows] = workbook_rows(unconnected).values()
    assert [r[0] for r in rows[2:]] == [r.name for r in page.context["unconnected"]]
    assert [r[0] for r in rows[2:]] == ["光山县人民医院"]
    # A county officer's export holds her county only.
    bob = login(users.bob).get(reverse("home"), {**Q2, "export": "unconnected"})
    [rows] = workbook_rows(bob).values()
    assert rows[2:] == []


def test_silent_institutions_and_overdue_tasks_lead_the_dashboard(login, quarter, users):
    import datetime as dt

    import time_machine

    from apps.alerts.services import alerts_evaluate
    from apps.rectification.services import task_open

    # After the quarter, 中心医院 (last upload 30 June) and 潢川 (10 April) are silent.
    alerts_evaluate(platform=quarter.platform, today=dt.date(2023, 7, 5))
    with time_machine.travel(dt.datetime(2023, 7, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        task_open(
            user=users.alice,
            institution=quarter.hc_people,
            problem="缺失表 T2、T3",
            requirement="7月10日前补传",
            due_date=dt.date(2023, 7, 10),
        )
    with time_machine.travel(dt.datetime(2023, 7, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        city = login(users.alice).get(DASHBOARD, Q2)
        silent = sheet_rows(city, "silent")
        overdue = sheet_rows(city, "overdue")
        assert [r[0] for r in silent] == ["潢川县人民医院", "信阳市中心医院"]
        assert [(r[0], r[3], r[4]) for r in overdue] == [("潢川县人民医院", "2023-07-10", "10")]
        charlie = login(users.charlie).get(DASHBOARD, Q2)
        nothing = [["暂无数据。"]]
        assert sheet_rows(charlie, "silent") == nothing == sheet_rows(charlie, "overdue")


def test_the_dashboard_computes_no_score_since_it_shows_none(login, quarter, users, monkeypatch):
    """Scores need the medians of the whole city: a county officer's dashboard would
    compute the city's figures for nothing. The real scoring is watched, not replaced."""
    from apps.metrics import formulas as figures  # where the scores are computed

    calls = []
    real = figures._assign_scores
    monkeypatch.setattr(
        figures, "_assign_scores", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs)
    )
    for user in (users.alice, users.bob):
        assert login(user).get(DASHBOARD, Q2).status_code == 200
    assert calls == []
    # The institution list shows scores: there they are computed.
    login(users.bob).get(reverse("institution-list"), Q2)
    assert calls
