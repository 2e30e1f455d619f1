"""The Xinyang demo carries a few tasks and the onboarding plan, once."""

import datetime as dt
import io

from django.core.management import call_command

from apps.onboarding.models import OnboardingPlan, StepCompletion
from apps.rectification.models import RectificationTask


def test_the_demo_has_tasks_and_an_onboarding_plan_and_a_second_run_adds_nothing(demo):
    tasks = list(RectificationTask.objects.values_list("institution__name", "state"))
    assert sorted(tasks) == [
        ("信阳市中心医院", "answered"),
        ("信阳市人民医院", "open"),
        ("信阳市第五人民医院", "open"),
        ("潢川县人民医院", "open"),
        ("罗山县中医院", "open"),
    ]
    plans = list(OnboardingPlan.objects.filter(platform=demo))
    assert [(p.name, p.deadline) for p in plans] == [
        ("一期", dt.date(2022, 12, 31)),
        ("二期", dt.date(2023, 3, 31)),
    ]
    # Every institution of the platform is the target of one phase, but those
    # connected to the province's platform instead.
    assert (
        sum(p.targets.count() for p in plans) == demo.connections.exclude(status="upstream").count()
    )
    completions = StepCompletion.objects.count()
    assert completions > 0
    call_command("load_demo", without_indicators=True, without_quality=True, stdout=io.StringIO())
    assert RectificationTask.objects.count() == 5
    assert list(OnboardingPlan.objects.filter(platform=demo)) == plans
    assert StepCompletion.objects.count() == completions


def test_the_demo_county_user_sees_the_not_done_list(client, county):
    client.force_login(county)
    # 二期 holds the institutions not connected in the first week of 2023.
    second = OnboardingPlan.objects.get(name="二期")
    response = client.get("/onboarding/", {"not_done": "1", "phase": second.pk})
    rows = response.context["institutions"].rows
    assert rows and all(r[1] == "潢川县" for r in rows)  # the county officer's next level
    assert "潢川县妇幼保健院" in {str(r[2]) for r in rows}
