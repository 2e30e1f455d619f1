"""A city officer runs the portal from the browser alone: imports institutions
(a refused file first, then a good one), creates a county user who must change
the password and sees only the county, and sets and tests the platform's interface
against the simulator."""

import re

import pytest

from apps.accounts.models import User
from apps.imports.models import ImportJob
from apps.ingestion.simulator import Faults, Simulator
from apps.institutions.models import Institution
from tests.simulated import truth

pytestmark = pytest.mark.django_db(transaction=True)

HEAD = "机构代码,机构名称,主管区划代码,机构类别,等级\n"
NEW_HOSPITAL = "41152600099,潢川县城南医院,411526,综合医院,二级乙等\n"


def csv_file(name, text):
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}


def test_an_officer_imports_institutions_from_the_browser(
    demo, sign_in, live_server, shot, celery_in_process
):
    page = sign_in("city")
    page.locator("#menu-admin > a").click()  # the menu's 管理 group
    page.get_by_role("link", name="数据导入").click()
    page.locator("#kind-institutions").get_by_role("link", name="导入文件").click()
    page.set_input_files(
        "input[name=file]",
        csv_file("机构-有误.csv", HEAD + NEW_HOSPITAL + "41152600098,,411526,诊所,二级\n"),
    )
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_load_state()
    refused = page.locator("#job-problems").inner_text()
    assert (
        "第 3 行：机构名称为空。" in refused
        and "第 3 行：未知的机构类别“诊所”，机构类别须为：综合医院" in refused
    )
    assert "未写入任何数据" in page.locator("#job-refused").inner_text()
    assert not Institution.objects.filter(org_code__in=["41152600099", "41152600098"]).exists()
    shot(page, "import-refused")

    page.get_by_role("link", name="上传修改后的文件").click()
    page.set_input_files("input[name=file]", csv_file("机构.csv", HEAD + NEW_HOSPITAL))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_load_state()
    assert page.locator("#count-created").inner_text() == "1"
    assert (
        "41152600099\t潢川县城南医院\t411526\t综合医院\t二级乙等"
        in page.locator("#section-added").inner_text()
    )
    assert not Institution.objects.filter(org_code="41152600099").exists()
    shot(page, "import-preview")
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_load_state()
    assert "已于" in page.locator("#job-done").inner_text()
    assert ImportJob.objects.get(file_name="机构.csv").state == ImportJob.State.DONE
    page.goto(f"{live_server.url}/institutions/?platform=xinyang&period=2023Q2&q=城南")
    assert "潢川县城南医院" in page.locator("table").inner_text()
    shot(page, "import-listed")


def test_an_officer_creates_a_county_user_who_changes_the_password(
    demo, sign_in, live_server, browser, shot
):
    page = sign_in("city")
    page.locator("#menu-admin > a").click()
    page.get_by_role("link", name="账号管理").click()
    page.get_by_role("link", name="新建账号").click()
    page.fill("input[name=username]", "lihua")
    page.fill("input[name=display_name]", "李华")
    page.fill("input[name=phone]", "0376-3210000")
    page.select_option("select[name=role]", "county")
    page.select_option("select[name=region]", "411526")
    page.get_by_role("button", name="创建账号").click()
    page.wait_for_load_state()
    password = page.locator("#issued-password").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{12}", password)
    shot(page, "user-created")

    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    try:
        county = context.new_page()
        county.goto(f"{live_server.url}/login/")
        county.fill("input[name=username]", "lihua")
        county.fill("input[name=password]", password)
        county.click("button[type=submit]")
        county.wait_for_load_state()
        assert "/accounts/password/" in county.url
        assert county.locator("#must-change").is_visible()
        county.fill("input[name=old_password]", password)
        county.fill("input[name=new_password1]", "Huangchuan-2024!")
        county.fill("input[name=new_password2]", "Huangchuan-2024!")
        county.get_by_role("button", name="修改密码").click()
        county.wait_for_load_state()
        assert not User.objects.get(username="lihua").must_change_password
        county.goto(f"{live_server.url}/institutions/?platform=xinyang&period=2023Q2")
        regions = set(county.locator("table tbody tr td:nth-child(3)").all_inner_texts())
        assert regions == {"潢川县"}
        assert "李华 · 潢川县" in county.locator("#who").inner_text()
        shot(county, "county-user")
    finally:
        context.close()


def test_an_officer_sets_and_tests_the_platform_interface(demo, sign_in, live_server, shot):
    simulator = Simulator(truth(), Faults(page_size=2, retry_after=0), token="tok-2024")
    url = simulator.start()
    try:
        page = sign_in("city")
        page.locator("#menu-admin > a").click()
        page.get_by_role("link", name="数据同步").click()
        page.get_by_role("link", name="拉取记录与补拉").first.click()
        page.fill("input[name=api_url]", url)
        page.fill("input[name=api_token]", "tok-2024")
        page.get_by_role("button", name="测试连接").click()
        page.wait_for_load_state()
        result = page.locator("#connection-test").inner_text()
        assert "平台已响应：3 家机构" in result
        shot(page, "connection-tested")
        page.fill("input[name=api_url]", url)
        page.fill("input[name=api_token]", "tok-2024")
        page.get_by_role("button", name="保存").first.click()
        page.wait_for_load_state()
        demo.refresh_from_db()
        assert (demo.api_url, demo.api_token) == (url, "tok-2024")
        assert "tok-2024" not in page.content()
    finally:
        simulator.stop()
