"""The main path of each role, in a real browser, on the Xinyang demo."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from apps.bulletins.models import Bulletin
from apps.bulletins.services import bulletin_publish
from apps.institutions.models import Institution
from apps.rectification.models import RectificationTask
from apps.rectification.services import task_open
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


def test_city_officer_finds_a_silent_hospital_opens_a_task_and_publishes_a_bulletin(
    demo, officer, sign_in, live_server, shot
):
    draft = make_bulletin(officer, demo)
    page = sign_in("city")
    page.goto(f"{live_server.url}/dashboard/{Q2}")
    page.wait_for_selector("[data-chart=interruptions] svg")
    shot(page, "dashboard")
    # The demo's alerts were evaluated on 1 January 2024: the silent list leads the dashboard.
    silent = page.locator("#sheet-silent tbody tr").first.locator("a")
    name = silent.inner_text()
    silent.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == name
    assert page.locator("#upload-calendar td.gap").count() > 0
    shot(page, "institution")

    page.get_by_role("link", name="下发整改任务").click()
    page.fill("textarea[name=problem]", "连续多日未上传数据，缺失门诊处方明细表。")
    page.fill("textarea[name=requirement]", "排查前置机，补传缺失数据。")
    page.fill("input[name=due_date]", "2023-07-15")
    page.get_by_role("button", name="下发", exact=True).click()
    page.wait_for_load_state()
    shot(page, "task")
    task = RectificationTask.objects.get(problem__startswith="连续多日未上传数据")
    assert task.institution.name == name and task.opened_by == officer
    assert "连续多日未上传数据" in page.content()

    page.goto(f"{live_server.url}{reverse('bulletin-detail', args=[draft.pk])}")
    page.get_by_role("link", name="检查并发布").click()
    page.wait_for_load_state()
    # Nothing is published before the officer confirms on the page that asks.
    assert page.locator("#publish-checks").is_visible()
    shot(page, "confirm-publish")
    draft.refresh_from_db()
    assert draft.status == Bulletin.Status.DRAFT
    page.get_by_role("button", name="立即发布").click()
    page.wait_for_load_state()
    shot(page, "published")
    draft.refresh_from_db()
    assert draft.status == Bulletin.Status.PUBLISHED
    assert "已发布" in page.content()


def test_hospital_user_sees_its_missing_tables_and_answers_its_task(
    demo, officer, sign_in, live_server, shot, tmp_path
):
    task = task_open(
        user=officer,
        institution=Institution.objects.get(org_code="41150000001"),
        problem="缺失 21 张数据表。",
        requirement="8月底前完成接口改造并补传。",
        due_date=dt.date(2023, 8, 31),
    )
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

    page.goto(f"{live_server.url}{reverse('rectification-list')}")
    page.get_by_role("link", name=re.compile("缺失 21 张数据表")).click()
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.fill("#answer-form textarea[name=text]", "已完成接口改造，缺失表已补传。")
    page.set_input_files("#answer-form input[name=files]", str(report))
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_load_state()
    shot(page, "answered")
    task.refresh_from_db()
    assert task.state == "answered"
    assert "整改报告.pdf" in page.content()
