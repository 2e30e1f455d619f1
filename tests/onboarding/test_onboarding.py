"""The onboarding table of a platform: each institution's step dates, the list of
those not done by region with the days past the deadline, its Excel export, and
the edit page."""

import datetime as dt
import io

import pytest
import time_machine
from django.utils.translation import gettext, ngettext
from openpyxl import load_workbook

from apps.audit.models import AuditEvent
from apps.onboarding.models import DEFAULT_STEPS, StepCompletion
from apps.onboarding.services import plan_create, step_set_date
from tests.conftest import connect

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DEADLINE = dt.date(2023, 6, 30)


@pytest.fixture
def plan(city, users):
    plan = plan_create(platform=city.platform, deadline=DEADLINE)
    steps = list(plan.steps.all())
    # 信阳市中心医院: every step done; 潢川县人民医院: two of four; 光山县人民医院: none.
    for step, day in zip(
        steps,
        [dt.date(2023, 3, 1), dt.date(2023, 4, 1), dt.date(2023, 5, 1), dt.date(2023, 6, 1)],
        strict=True,
    ):
        step_set_date(user=users.alice, institution=city.central, step=step, done_on=day)
    for step in steps[:2]:
        step_set_date(
            user=users.bob, institution=city.hc_people, step=step, done_on=dt.date(2023, 5, 8)
        )
    # Done means connected (metrics.md): 信阳市中心医院 was on 1 June, before the date.
    connect(city.central, city.platform, since=dt.date(2023, 6, 1))
    return plan


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2023, 7, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def login(client):
    def login_as(user):
        client.force_login(user)
        return client

    return login_as


def cells(sheet):
    return [[cell.value for cell in row] for _css, row in sheet.cells()]


def workbook_rows(response):
    assert response.status_code == 200
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).active.values]


def test_a_plan_without_steps_gets_the_usual_four(city):
    plan = plan_create(platform=city.platform, deadline=DEADLINE)
    assert [s.name for s in plan.steps.all()] == DEFAULT_STEPS
    assert DEFAULT_STEPS == ["领取前置机", "网络联调", "接口改造", "审查通过"]


def test_the_table_shows_each_step_date_done_and_days_past_the_deadline(login, users, plan):
    response = login(users.alice).get("/onboarding/", {"platform": "city"})
    rows = cells(response.context["institutions"])
    yes, no = gettext("Yes"), gettext("No")
    directly = gettext("Directly under the city")
    d = dt.date
    assert rows == [
        [
            1,
            directly,
            "信阳市中心医院",
            "41150000001",
            d(2023, 3, 1),
            d(2023, 4, 1),
            d(2023, 5, 1),
            d(2023, 6, 1),
            DEADLINE,
            gettext("Connected"),
            d(2023, 6, 1),
            yes,
            None,
        ],
        [
            2,
            "光山县",
            "光山县人民医院",
            "41152200001",
            None,
            None,
            None,
            None,
            DEADLINE,
            gettext("Not connected"),
            None,
            no,
            10,
        ],
        [
            3,
            "潢川县",
            "潢川县人民医院",
            "41152600001",
            d(2023, 5, 8),
            d(2023, 5, 8),
            None,
            None,
            DEADLINE,
            gettext("Not connected"),
            None,
            no,
            10,
        ],
    ]
    summary = ngettext("%(n)s institution not done", "%(n)s institutions not done", 2) % {"n": 2}
    assert summary in response.content.decode()
    regions = cells(response.context["by_region"])
    # region, institutions, done, of which late, not done
    assert regions == [[directly, 1, 1, 0, 0], ["光山县", 1, 0, 0, 1], ["潢川县", 1, 0, 0, 1]]


def test_before_the_deadline_nothing_is_past_it(login, users, plan):
    with time_machine.travel(dt.datetime(2023, 6, 30, 23, 0, tzinfo=SHANGHAI), tick=False):
        rows = cells(login(users.alice).get("/onboarding/").context["institutions"])
    assert [r[-1] for r in rows] == [None, None, None]


def test_not_done_only_lists_the_institutions_a_province_chases(login, users, plan):
    response = login(users.alice).get("/onboarding/", {"not_done": "1"})
    assert [r[3] for r in cells(response.context["institutions"])] == ["41152200001", "41152600001"]
    # the counts per region still count the done ones
    assert [r[2] for r in cells(response.context["by_region"])] == [1, 0, 0]


def test_the_export_is_the_list_a_province_sends_out(login, users, plan):
    client = login(users.alice)
    query = {"platform": "city", "not_done": "1"}
    page = client.get("/onboarding/", query).context["institutions"]
    rows = workbook_rows(client.get("/onboarding/", {**query, "export": "institutions"}))
    heading, headers, *data = rows
    assert "2023-06-30" in heading[0]
    assert headers == [
        gettext("No."),
        gettext("County / directly under the city"),
        gettext("Institution name"),
        gettext("Institution code"),
        *DEFAULT_STEPS,
        gettext("Go-live date"),
        gettext("Connection status"),
        gettext("Connected on"),
        gettext("Completed?"),
        gettext("Days past deadline"),
    ]
    assert [[c.date() if isinstance(c, dt.datetime) else c for c in r] for r in data] == cells(page)
    regions = workbook_rows(client.get("/onboarding/", {**query, "export": "regions"}))
    assert regions[2:] == cells(client.get("/onboarding/", query).context["by_region"])


def test_a_county_officer_sees_and_exports_only_their_county(login, users, plan):
    client = login(users.bob)
    response = client.get("/onboarding/")
    assert [r[3] for r in cells(response.context["institutions"])] == ["41152600001"]
    assert "光山县人民医院" not in response.content.decode()
    rows = workbook_rows(client.get("/onboarding/", {"export": "institutions"}))
    assert [r[3] for r in rows[2:]] == ["41152600001"]
    assert client.get("/onboarding/", {"region": "411522"}).status_code == 404


def test_an_officer_enters_and_clears_step_dates(login, city, users, plan):
    steps = list(plan.steps.all())
    client = login(users.bob)
    url = f"/onboarding/phases/{plan.pk}/41152600001/"
    assert client.get(url).status_code == 200
    data = {
        f"step_{steps[0].pk}": "2023-05-08",
        f"step_{steps[1].pk}": "",  # cleared
        f"step_{steps[2].pk}": "2023-07-01",
        f"step_{steps[3].pk}": "2023-07-05",
    }
    assert client.post(url, data).status_code == 302
    stored = dict(
        StepCompletion.objects.filter(institution=city.hc_people).values_list(
            "step__name", "done_on"
        )
    )
    assert stored == {
        "领取前置机": dt.date(2023, 5, 8),
        "接口改造": dt.date(2023, 7, 1),
        "审查通过": dt.date(2023, 7, 5),
    }
    assert (
        StepCompletion.objects.get(institution=city.hc_people, step=steps[2]).entered_by
        == users.bob
    )


def test_a_future_date_is_refused(login, city, users, plan):
    step = plan.steps.first()
    response = login(users.bob).post(
        f"/onboarding/phases/{plan.pk}/41152200001/", {f"step_{step.pk}": "2023-07-11"}
    )
    assert response.status_code == 404  # not bob's county
    response = login(users.charlie).post(
        f"/onboarding/phases/{plan.pk}/41152200001/", {f"step_{step.pk}": "2023-07-11"}
    )
    assert gettext("A step cannot be done in the future.") in response.content.decode()
    assert not StepCompletion.objects.filter(institution=city.gs_people).exists()


def test_the_edit_page_is_404_outside_the_scope(login, users, plan):
    for url in (
        f"/onboarding/phases/{plan.pk}/41152200001/",
        f"/onboarding/phases/{plan.pk}/41150000001/",
    ):
        assert login(users.bob).get(url).status_code == 404
        assert login(users.bob).post(url, {}).status_code == 404
    assert login(users.charlie).get(f"/onboarding/phases/{plan.pk}/41152600001/").status_code == 404
    assert login(users.dana).get(f"/onboarding/phases/{plan.pk}/41152600001/").status_code == 403
    assert login(users.alice).get("/onboarding/nope/41152600001/").status_code == 404


def test_a_city_officer_creates_the_plan_from_the_page(login, city, users):
    client = login(users.alice)
    page = client.get("/onboarding/").content.decode()
    assert 'id="plan-form"' in page and "领取前置机 → 网络联调 → 接口改造 → 审查通过" in page
    response = client.post("/onboarding/city/plan/", {"name": "一期", "deadline": "2023-12-31"})
    assert response.status_code == 302
    plan = city.platform.onboarding_plans.get()
    assert plan.name == "一期"
    assert [s.name for s in plan.steps.all()] == DEFAULT_STEPS
    # A second phase under the same name is refused, another name makes a second one.
    client.post("/onboarding/city/plan/", {"name": "一期", "deadline": "2024-12-31"})
    client.post("/onboarding/city/plan/", {"name": "二期", "deadline": "2024-12-31"})
    assert list(city.platform.onboarding_plans.values_list("name", "deadline")) == [
        ("一期", dt.date(2023, 12, 31)),
        ("二期", dt.date(2024, 12, 31)),
    ]
    # A county officer manages no platform: the platform is not found.
    assert (
        login(users.bob)
        .post("/onboarding/city/plan/", {"name": "三期", "deadline": "2023-12-31"})
        .status_code
        == 404
    )
    created = AuditEvent.objects.filter(action="phase_created").order_by("id")
    assert [(e.actor, e.details["name"]) for e in created] == [
        (users.alice, "一期"),
        (users.alice, "二期"),
    ]


def test_the_table_takes_a_fixed_number_of_queries(
    city, users, plan, django_assert_max_num_queries
):
    from apps.onboarding.selectors import onboarding_table, progress_by_region
    from tests.factories import InstitutionFactory

    for n in range(30):
        InstitutionFactory(org_code=f"HC{n:04d}", region=city.huangchuan)
    # The steps, the targets, the institutions, the step dates, the connection
    # changes, the regions of the next level: six, whatever the count.
    with django_assert_max_num_queries(6):
        table = onboarding_table(users.alice, plan)
        progress_by_region(table)
    assert len(table.rows) == 33
