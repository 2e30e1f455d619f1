"""Breakdowns add up to their whole (metrics.md): connected = 良好 + 中断 + 未上传数据
on the home page, the dashboard, the bulletin's text and the API; the institutions in
scope = each connection status's count (未到期 included)."""

import datetime as dt

import pytest

from apps.bulletins.content import bulletin_content
from tests.conftest import make_bulletin

pytestmark = pytest.mark.django_db
Q2 = "platform=xinyang&period=2023Q2"


def test_the_home_page_accounts_for_every_connected_institution(client, demo, officer):
    client.force_login(officer)
    page = client.get(f"/?{Q2}")
    s = page.context["summary"]
    assert s.continuity_none > 0  # the demo's quarter has connected hospitals sending nothing
    assert s.connected == s.continuity_good + s.continuity_interrupted + s.continuity_none
    html = page.content.decode()
    assert (
        f"已联通 {s.connected} = 良好 {s.continuity_good} + 中断 {s.continuity_interrupted}"
        f" + 未上传数据 {s.continuity_none}"
    ) in html
    assert s.institutions == s.connected + s.upstream + s.unconnected + s.not_yet_due


def test_the_dashboard_lists_the_continuity_of_the_connected(client, demo, officer):
    client.force_login(officer)
    page = client.get(f"/dashboard/?{Q2}")
    panel = next(p for p in page.context["panels"] if p.sheet.key == "continuity")
    counts = [row[1] for row in panel.sheet.rows]
    assert counts[0] + counts[1] + counts[2] == counts[3] == page.context["summary"].connected
    connection = next(p for p in page.context["panels"] if p.sheet.key == "connection")
    assert sum(row[1] for row in connection.sheet.rows) == page.context["summary"].institutions


def test_the_api_gives_the_breakdowns(client, demo, officer):
    client.force_login(officer)
    body = client.get("/api/v1/metrics/?start=2023-04-01&end=2023-06-30").json()
    s = body["summary"]
    assert s["connected"] == sum(s["continuity"].values())
    assert s["institutions"] == sum(
        s[k] for k in ("connected", "upstream", "integrating", "not_connected", "not_yet_due")
    )
    nothing = [
        r
        for r in body["results"]
        if r["connection_status"] == "connected" and r["continuity"] is None
    ]
    assert len(nothing) == s["continuity"]["no_data"] > 0


def test_the_bulletin_names_those_that_uploaded_nothing(demo, officer):
    content = bulletin_content(make_bulletin(officer, demo, issue_date=dt.date(2023, 7, 1)))
    cont = content["continuity"]
    assert cont["good_count"] + cont["interrupted_count"] + cont["none_count"] == cont["connected"]
    rows = {r["org_code"]: r for r in content["attachment"]}
    assert all(
        rows[i["org_code"]]["continuity"] is None and rows[i["org_code"]]["tier"] == 4
        for i in cont["none"]
    )
    from django.template.loader import render_to_string

    html = render_to_string("bulletins/_document.html", {"c": content, "d": content["document"]})
    assert f"未上传数据{cont['none_count']}家" in html
