"""The improvement campaign (专项提升行动): each unit's problems from the figures
(dimension and rule below threshold, tables not sent, drops), tasks made from them
that close themselves when the following nights meet the threshold (and say so),
findings of the inspection schedule as tasks, the progress, and the pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext

from apps.campaigns.models import Campaign, CampaignTask, Inspection, ProblemKind
from apps.campaigns.selectors import campaign_problems, campaign_progress, campaign_window
from apps.campaigns.services import (
    campaign_save,
    campaign_task_open,
    campaign_tasks_check,
    finding_problem,
)
from apps.campaigns.tasks import check_campaign_tasks
from apps.institutions.models import Institution
from apps.quality.services import quality_import, quality_rules_import
from apps.rectification.models import TaskEvent
from apps.rectification.services import task_answer
from tests.conftest import every_day, upload
from tests.factories import UserFactory

D = dt.date
RULES = (
    "规则代码,规则名称,维度,表代码,说明\n"
    "OPV_ID,门诊身份证号不为空,完整性,T1,\n"
    "OPV_SEX,性别符合值域,规范性,T1,\n"
)
CENTRAL, HC = "41150000001", "41152600001"


def results(*rows) -> bytes:
    return ("date,org_code,rule,checked,failed\n" + "".join(f"{r}\n" for r in rows)).encode()


@pytest.fixture
def campaign(quarter, users):
    """May and June 2023 over 信阳市中心医院 and 潢川县人民医院: completeness ≥ 98,
    conformance ≥ 97. 中心医院 fails 5% of OPV_ID (completeness 95%) and 1% of
    OPV_SEX (conformance 99%, fine)."""
    quality_rules_import(source=RULES.encode(), platform=quarter.platform)
    rows = []
    for day in every_day(D(2023, 5, 1), D(2023, 6, 30)):
        rows += [f"{day},{CENTRAL},OPV_ID,1000,50", f"{day},{CENTRAL},OPV_SEX,1000,10"]
    quality_import(source=results(*rows), platform=quarter.platform)
    return campaign_save(
        user=users.alice,
        campaign=Campaign(
            name="数据质量专项提升行动",
            platform=quarter.platform,
            region=quarter.city,
            start=D(2023, 5, 1),
            end=D(2023, 6, 30),
            completeness_min=Decimal("98"),
            conformance_min=Decimal("97"),
        ),
        units=[quarter.central, quarter.hc_people],
    )


def problems_of(campaign, org_code):
    unit = Institution.objects.get(org_code=org_code)
    return campaign_problems(campaign, campaign.units.all()).get(unit.pk, [])


def test_the_problem_list_comes_from_the_figures(campaign):
    assert campaign_window(campaign) == (D(2023, 5, 1), D(2023, 6, 30))
    central = {(p.kind, p.code): p for p in problems_of(campaign, CENTRAL)}
    # Completeness 95.00 < 98 (the dimension and its rule); conformance 99 ≥ 97: none;
    # T4 never sent in May and June.
    assert set(central) == {
        (ProblemKind.DIMENSION, "completeness"),
        (ProblemKind.RULE, "OPV_ID"),
        (ProblemKind.TABLE, "T4"),
    }
    assert central[(ProblemKind.RULE, "OPV_ID")].value == Decimal("95.00")
    assert central[(ProblemKind.RULE, "OPV_ID")].threshold == Decimal("98")
    # 潢川县人民医院: nothing checked (no quality problem), T1 sent only in April.
    hc = problems_of(campaign, HC)
    assert [(p.kind, p.code) for p in hc] == [(ProblemKind.TABLE, "T1,T2,T3,T4")]
    assert "4" in hc[0].label


def test_a_unit_that_uploads_a_tenth_of_its_usual_shows_a_drop(campaign, quarter):
    # 信阳市中心医院 sends about 300 records a day (T1–T3, a little more on some days:
    # a baseline with a spread); on 2023-06-28 a tenth of it.
    rows = [
        (day, CENTRAL, "T1", 100 + day.day % 5 * 10)
        for day in every_day(D(2023, 5, 1), D(2023, 6, 27))
    ]
    rows += [(D(2023, 6, 28), CENTRAL, code, 10) for code in ("T1", "T2", "T3")]
    upload(quarter.platform, rows)
    drops = [p for p in problems_of(campaign, CENTRAL) if p.kind == ProblemKind.DROP]
    assert [p.code for p in drops] == ["2023-06-28"]


def open_task(campaign, users, kind, code=None):
    problem = next(
        p
        for p in problems_of(campaign, CENTRAL)
        if p.kind == kind and (code is None or p.code == code)
    )
    return campaign_task_open(
        user=users.alice,
        campaign=campaign,
        problem=problem,
        requirement="补齐字段",
        due_date=D(2023, 7, 31),
    )


def test_a_task_closes_itself_after_a_good_night_and_says_so(campaign, users, quarter):
    task = open_task(campaign, users, ProblemKind.RULE, "OPV_ID")
    link = task.campaign_link
    assert (link.after, link.threshold, link.closes_itself) == (D(2023, 6, 30), Decimal("98"), True)
    assert task.problem.startswith("【数据质量专项提升行动】")
    staff = UserFactory(username="xyzx", role="hospital", institution=quarter.central)
    task_answer(user=staff, task=task, text="已修复接口映射。")
    # No night after the problem yet: nothing to judge.
    assert campaign_tasks_check(today=D(2023, 7, 1)) == 0
    # A bad night (97% < 98%) leaves it open.
    quality_import(
        source=results(f"2023-07-01,{CENTRAL},OPV_ID,1000,30"), platform=quarter.platform
    )
    assert campaign_tasks_check(today=D(2023, 7, 2)) == 0
    task.refresh_from_db()
    assert task.state == "answered"
    # A good night: 07-01..07-02 together pass 1,970 of 2,000 = 98.50% ≥ 98%.
    quality_import(source=results(f"2023-07-02,{CENTRAL},OPV_ID,1000,0"), platform=quarter.platform)
    assert campaign_tasks_check(today=D(2023, 7, 3)) == 1
    task.refresh_from_db()
    assert task.state == "accepted" and task.closed_at is not None
    event = task.events.get(kind=TaskEvent.Kind.CLOSED_BY_FIGURES)
    assert event.author is None
    assert event.text == gettext(
        "From %(start)s to %(end)s %(code)s passed %(rate)s%%, meeting %(threshold)s%%."
    ) % {
        "start": "2023-07-01",
        "end": "2023-07-02",
        "code": "OPV_ID",
        "rate": "98.50",
        "threshold": "98",
    }
    # Once closed, a later check leaves it alone.
    assert campaign_tasks_check(today=D(2023, 7, 4)) == 0
    assert task.events.filter(kind=TaskEvent.Kind.CLOSED_BY_FIGURES).count() == 1


def test_a_dimension_task_and_a_table_task_close_by_their_own_figures(
    campaign, users, quarter, celery_in_process
):
    dimension = open_task(campaign, users, ProblemKind.DIMENSION)
    table = open_task(campaign, users, ProblemKind.TABLE)
    upload(quarter.platform, [(D(2023, 7, 1), CENTRAL, "T1", 100)])
    quality_import(
        source=results(f"2023-07-01,{CENTRAL},OPV_ID,1000,10"), platform=quarter.platform
    )
    # The nightly Celery task (today's date: every night since 07-01): the dimension
    # passes (99%); T4 was still not sent.
    assert check_campaign_tasks.delay().get() == 1
    dimension.refresh_from_db()
    table.refresh_from_db()
    assert (dimension.state, table.state) == ("accepted", "open")
    upload(quarter.platform, [(D(2023, 7, 2), CENTRAL, "T4", 5)])
    assert campaign_tasks_check(today=D(2023, 7, 3)) == 1
    table.refresh_from_db()
    assert table.state == "accepted"


def test_drops_and_findings_close_by_hand_only(campaign, users, quarter):
    inspection = Inspection.objects.create(
        campaign=campaign,
        day=D(2023, 5, 19),
        institution=quarter.central,
        region=quarter.huangchuan,
        checklist="数据上传完整性",
        findings="门诊就诊记录身份证号缺失较多。",
    )
    task = campaign_task_open(
        user=users.alice,
        campaign=campaign,
        problem=finding_problem(inspection, quarter.central, inspection.findings),
        requirement="一个月内整改",
        due_date=D(2023, 6, 30),
        inspection=inspection,
    )
    link = task.campaign_link
    assert (link.kind, link.inspection, link.closes_itself) == ("finding", inspection, False)
    quality_import(source=results(f"2023-07-01,{CENTRAL},OPV_ID,1000,0"), platform=quarter.platform)
    assert campaign_tasks_check(today=D(2023, 7, 2)) == 0
    task.refresh_from_db()
    assert task.state == "open"


def test_one_open_task_per_problem_and_only_for_units(campaign, users, quarter):
    open_task(campaign, users, ProblemKind.RULE, "OPV_ID")
    with pytest.raises(ValidationError):
        open_task(campaign, users, ProblemKind.RULE, "OPV_ID")
    outsider = next(iter(problems_of(campaign, CENTRAL)))
    stranger = type(outsider)(quarter.gs_people, outsider.kind, outsider.code, outsider.label)
    with pytest.raises(ValidationError):
        campaign_task_open(
            user=users.alice,
            campaign=campaign,
            problem=stranger,
            requirement="x",
            due_date=D(2023, 7, 31),
        )
    assert CampaignTask.objects.count() == 1


def test_progress_counts_open_closed_overdue_and_closed_by_figures(campaign, users, quarter):
    rule = open_task(campaign, users, ProblemKind.RULE, "OPV_ID")
    open_task(campaign, users, ProblemKind.TABLE)
    quality_import(source=results(f"2023-07-01,{CENTRAL},OPV_ID,1000,0"), platform=quarter.platform)
    campaign_tasks_check(today=D(2023, 7, 2))
    progress = campaign_progress(users.alice, campaign, today=D(2023, 8, 1))
    assert (progress.problems_open, progress.problems_closed, progress.closed_by_figures) == (
        1,
        1,
        1,
    )
    assert progress.overdue == 1  # due 07-31, not accepted on 08-01
    # A county officer of 光山 counts none of 中心医院's tasks.
    assert campaign_progress(users.charlie, campaign).problems_open == 0
    assert rule.campaign_link.campaign == campaign


def test_a_campaign_needs_a_period_in_order_a_target_and_units_of_its_region(quarter, users):
    def save(**fields):
        values = {
            "name": "x",
            "platform": quarter.platform,
            "region": quarter.city,
            "start": D(2023, 5, 1),
            "end": D(2023, 6, 30),
            "completeness_min": Decimal("98"),
        }
        values.update(fields)
        return campaign_save(user=users.alice, campaign=Campaign(**values), units=[quarter.central])

    with pytest.raises(ValidationError):
        save(end=D(2023, 4, 30))
    with pytest.raises(ValidationError):
        save(completeness_min=None)
    with pytest.raises(ValidationError):
        save(completeness_min=Decimal("101"))
    with pytest.raises(PermissionDenied):
        campaign_save(
            user=users.bob,  # a county officer runs no campaign
            campaign=Campaign(
                name="x",
                platform=quarter.platform,
                region=quarter.huangchuan,
                start=D(2023, 5, 1),
                end=D(2023, 6, 30),
                completeness_min=Decimal("98"),
            ),
            units=[quarter.hc_people],
        )
    assert not Campaign.objects.exists()
    assert save().units.get() == quarter.central


def test_a_table_task_closes_only_when_every_table_of_it_was_sent(campaign, users, quarter):
    problem = next(p for p in problems_of(campaign, HC) if p.kind == ProblemKind.TABLE)
    task = campaign_task_open(
        user=users.alice,
        campaign=campaign,
        problem=problem,
        requirement="补传缺失表",
        due_date=D(2023, 7, 31),
    )
    assert task.campaign_link.code == "T1,T2,T3,T4"
    upload(quarter.platform, [(D(2023, 7, 1), HC, code, 10) for code in ("T1", "T2", "T3")])
    assert campaign_tasks_check(today=D(2023, 7, 2)) == 0
    upload(quarter.platform, [(D(2023, 7, 2), HC, "T4", 10)])
    assert campaign_tasks_check(today=D(2023, 7, 3)) == 1
    assert task.events.get(kind=TaskEvent.Kind.CLOSED_BY_FIGURES).text == gettext(
        "From %(start)s to %(end)s every table of the task was sent (%(n)d)."
    ) % {"start": "2023-07-01", "end": "2023-07-02", "n": 4}


def test_the_campaign_page_shows_each_officer_the_units_they_see(campaign, users, login):
    url = f"/campaigns/{campaign.pk}/"
    page = login(users.alice).get(url)
    rows = page.context["sheets"][0].rows
    assert {r[1] for r in rows} == {"信阳市中心医院", "潢川县人民医院"}
    rules = login(users.alice).get(url, {"kind": "rule"}).context["sheets"][0].rows
    assert [r[3] for r in rules] == [
        p.label for p in problems_of(campaign, CENTRAL) if p.kind == "rule"
    ]
    assert login(users.alice).get(url, {"kind": "nonsense"}).status_code == 400
    # 潢川's officer sees 潢川's unit only, and its problems; 光山's has no unit in it.
    bob = login(users.bob).get(url)
    assert {r[1] for r in bob.context["sheets"][0].rows} == {"潢川县人民医院"}
    assert login(users.charlie).get(url).status_code == 404
    # The export holds the problems without the page's task links.
    response = login(users.alice).get(url, {"export": "problems"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_an_officer_makes_a_task_from_the_page(campaign, users, login):
    client = login(users.alice)
    url = f"/campaigns/{campaign.pk}/tasks/new/"
    query = {"institution": CENTRAL, "key": "rule:OPV_ID"}
    assert "OPV_ID" in client.get(url, query).content.decode()
    response = client.post(url, {**query, "requirement": "补齐身份证号", "due_date": "2023-07-31"})
    link = CampaignTask.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/rectification/{link.task_id}/"
    )
    assert (link.kind, link.code, link.task.institution.org_code) == ("rule", "OPV_ID", CENTRAL)
    # A problem the figures do not show goes back to the campaign with a message.
    gone = client.get(url, {"institution": CENTRAL, "key": "rule:NO_SUCH"})
    assert gone.status_code == 302
    # A hospital user makes no task.
    assert login(users.dana).get(url, query).status_code == 403
