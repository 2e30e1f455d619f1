"""The campaign from the browser: a city officer opens the campaign, sees a
hospital's problems, makes a task of one; the hospital answers it; a good night's
figures close it, and the task says why."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from apps.accounts.models import User
from apps.campaigns.models import Campaign
from apps.campaigns.services import campaign_save
from apps.campaigns.tasks import check_campaign_tasks
from apps.institutions.models import Institution
from apps.quality.services import quality_import, quality_rules_import
from apps.rectification.models import RectificationTask
from tests.conftest import every_day

pytestmark = pytest.mark.django_db(transaction=True)

CENTRAL = "41150000001"
RULES = "规则代码,规则名称,维度,表代码,说明\nOPV_ID,门诊就诊记录身份证号不为空,完整性,,\n"


def results(rows) -> bytes:
    return ("日期,机构代码,规则代码,检查数,不通过数\n" + "".join(f"{r}\n" for r in rows)).encode()


@pytest.fixture
def campaign(demo):
    """The Xinyang demo's platform, one rule, May and June 2023 with 6% of 信阳市中心
    医院's outpatient records lacking the ID number."""
    quality_rules_import(source=RULES.encode(), platform=demo)
    days = every_day(dt.date(2023, 5, 1), dt.date(2023, 6, 30))
    quality_import(source=results(f"{d},{CENTRAL},OPV_ID,1000,60" for d in days), platform=demo)
    officer = User.objects.get(username="city")
    return campaign_save(
        user=officer,
        campaign=Campaign(
            name="数据质量专项提升行动",
            platform=demo,
            region=officer.region,
            start=dt.date(2023, 5, 1),
            end=dt.date(2023, 6, 30),
            completeness_min=Decimal("98"),
        ),
        units=[Institution.objects.get(org_code=CENTRAL)],
    )


def test_a_good_night_closes_a_campaign_task(
    campaign, demo, sign_in, live_server, shot, celery_in_process
):
    officer = sign_in("city")
    officer.goto(live_server.url)
    officer.locator("#menu-work > a").click()  # the menu's 工作 group
    officer.get_by_role("link", name="专项行动").click()
    officer.get_by_role("link", name="数据质量专项提升行动").click()
    problems = officer.locator("#sheet-problems")
    row = problems.locator("tr", has_text="规则 OPV_ID")
    assert "通过率 94.00%，低于阈值 98%" in row.inner_text()
    assert "信阳市中心医院" in row.inner_text()
    shot(officer, "problems")
    row.get_by_role("link", name="下发整改任务").click()
    assert "规则 OPV_ID" in officer.locator("#task-problem").inner_text()
    officer.fill("textarea[name=requirement]", "核查接口字段映射，补齐身份证号。")
    officer.fill("input[name=due_date]", "2023-07-31")
    officer.get_by_role("button", name="下发").click()
    officer.wait_for_load_state()
    task = RectificationTask.objects.get(institution__org_code=CENTRAL, campaign_link__isnull=False)
    assert officer.url.endswith(f"/rectification/{task.pk}/")
    # Back on the campaign, the problem shows its task instead of the link.
    officer.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    assert officer.locator("#tasks-open").inner_text() == "1"
    row = officer.locator("#sheet-problems tr", has_text="规则 OPV_ID")
    assert row.get_by_role("link", name=re.compile("待整改（2023-07-31）")).count() == 1

    hospital = sign_in("xyzx")
    hospital.goto(f"{live_server.url}/rectification/{task.pk}/")
    hospital.fill("#answer-form textarea[name=text]", "已修复门诊挂号接口的身份证号映射。")
    hospital.get_by_role("button", name="提交", exact=True).click()
    hospital.wait_for_load_state()
    task.refresh_from_db()
    assert task.state == "answered"

    # The night of 2023-07-01: every record passes; the morning's check closes it.
    quality_import(source=results([f"2023-07-01,{CENTRAL},OPV_ID,1000,0"]), platform=demo)
    assert check_campaign_tasks.delay().get() == 1
    officer.goto(f"{live_server.url}/rectification/{task.pk}/")
    history = officer.locator("body").inner_text()
    assert "按数据自动办结" in history
    assert "2023-07-01至2023-07-01，OPV_ID 通过率 100.00%，达到阈值 98%" in history
    shot(officer, "closed")
    officer.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    assert officer.locator("#tasks-closed").inner_text() == "1"
    assert "其中按数据自动办结 1 项" in officer.locator("#progress").inner_text()
