"""The main path of each role, in a real browser, on the Xinyang demo."""

import re

import pytest
from django.urls import reverse

from apps.bulletins.models import Bulletin
from apps.bulletins.services import bulletin_publish
from tests.conftest import make_bulletin

pytestmark = pytest.mark.django_db(transaction=True)

Q2 = "?platform=xinyang&period=2023Q2"


def test_county_officer_sees_only_her_county_and_downloads_the_bulletin(
    demo, officer, sign_in, live_server, shot
):
    bulletin_publish(bulletin=make_bulletin(officer, demo), user=officer)
    page = sign_in("huangchuan")
    page.goto(f"{live_server.url}/dashboard/{Q2}")
    page.wait_for_selector("[data-chart=tiers] svg")
    shot(page, "dashboard")
    rows = page.locator("#sheet-interruptions tbody tr td:nth-child(2)").all_inner_texts()
    assert rows and set(rows) == {"潢川县"}
    assert "浉河区" not in page.content()

    page.goto(f"{live_server.url}/institutions/{Q2}")
    regions = page.locator("table tbody tr td:nth-child(3)").all_inner_texts()
    assert regions and set(regions) == {"潢川县"}

    page.goto(f"{live_server.url}/bulletins/")
    page.get_by_role("link", name=re.compile("第二季度")).click()
    shot(page, "bulletin")
    with page.expect_download() as download:
        page.click("#download-pdf")
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    another = page.goto(f"{live_server.url}/institutions/41150000001/{Q2}")  # 市直, not hers
    assert another.status == 404


def test_city_officer_finds_a_hospital_from_the_dashboard_and_publishes_a_bulletin(
    demo, officer, sign_in, live_server, shot
):
    draft = make_bulletin(officer, demo)
    page = sign_in("city")
    page.goto(f"{live_server.url}/dashboard/{Q2}")
    page.wait_for_selector("[data-chart=interruptions] svg")
    shot(page, "dashboard")
    first = page.locator("#sheet-interruptions tbody tr").first.locator("a")
    name = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == name
    assert page.locator("#fix-first li").count() > 0
    shot(page, "institution")

    page.goto(f"{live_server.url}{reverse('bulletin-detail', args=[draft.pk])}")
    page.get_by_role("button", name="检查并发布").click()
    page.wait_for_load_state()
    shot(page, "published")
    draft.refresh_from_db()
    assert draft.status == Bulletin.Status.PUBLISHED
    assert "已发布" in page.content()


def test_hospital_user_sees_its_missing_tables_and_what_to_fix(demo, sign_in, live_server, shot):
    page = sign_in("xyzx")
    page.goto(f"{live_server.url}/{Q2}")
    assert page.locator("h1").inner_text() == "信阳市中心医院"
    missing = page.locator("#missing-tables li").all_inner_texts()
    assert len(missing) == 21
    assert page.locator("#fix-first li").count() >= 5
    assert page.locator("#upload-calendar td.gap").count() == 10
    shot(page, "own-page")
    # The dashboard and other hospitals are not hers.
    assert page.goto(f"{live_server.url}/institutions/41150000002/{Q2}").status == 404
