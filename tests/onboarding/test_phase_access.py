"""A platform's phases belong to the officers who manage it (its region's province or
city commission): they create a phase and, while nothing was recorded against it,
delete it — after a page that asks — both audited; nobody else reaches either, and a
city officer never writes to the province's platform above it."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.onboarding.models import OnboardingPlan, OnboardingStep, PhaseTarget
from apps.onboarding.services import plan_create, step_set_date
from tests.factories import PlatformFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def province_platform(city):
    return PlatformFactory(code="henan", name="河南省平台", level="province", region=city.province)


def delete_url(plan):
    return reverse("onboarding-plan-delete", args=[plan.pk])


def test_an_officer_deletes_a_phase_created_by_mistake(client, city, users):
    plan = plan_create(platform=city.platform, name="二期", deadline=dt.date(2024, 6, 30))
    PhaseTarget.objects.create(plan=plan, platform=city.platform, institution=city.central)
    client.force_login(users.alice)
    page = client.get(f"/onboarding/?platform={city.platform.code}&phase={plan.pk}")
    assert delete_url(plan) in page.content.decode()
    # The page asks first: a GET deletes nothing.
    asking = client.get(delete_url(plan))
    assert asking.status_code == 200 and "二期" in asking.content.decode()
    assert OnboardingPlan.objects.filter(pk=plan.pk).exists()
    response = client.post(delete_url(plan), {"confirm": "yes"})
    assert response.status_code == 302
    assert not OnboardingPlan.objects.filter(pk=plan.pk).exists()
    assert not OnboardingStep.objects.filter(plan_id=plan.pk).exists()
    assert not PhaseTarget.objects.filter(plan_id=plan.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.PHASE_DELETED)
    assert (event.actor, event.region) == (users.alice, city.city)
    assert event.details["name"] == "二期" and event.details["targets"] == 1
    # The name is free again.
    assert (
        client.post(
            f"/onboarding/{city.platform.code}/plan/", {"name": "二期", "deadline": "2024-06-30"}
        ).status_code
        == 302
    )


def test_a_phase_with_dated_steps_is_part_of_the_record(client, city, users):
    plan = plan_create(platform=city.platform, name="一期", deadline=dt.date(2023, 6, 30))
    step_set_date(
        user=users.alice,
        institution=city.central,
        step=plan.steps.first(),
        done_on=dt.date(2023, 5, 1),
    )
    client.force_login(users.alice)
    page = client.get(f"/onboarding/?platform={city.platform.code}&phase={plan.pk}")
    assert delete_url(plan) not in page.content.decode()
    asking = client.get(delete_url(plan)).content.decode()
    assert 'name="confirm"' not in asking and "不能删除" in asking
    client.post(delete_url(plan), {"confirm": "yes"})
    assert OnboardingPlan.objects.filter(pk=plan.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PHASE_DELETED).exists()


def test_only_the_platforms_officers_reach_its_phases(client, city, users, province_platform):
    plan = plan_create(platform=city.platform, name="一期", deadline=dt.date(2023, 6, 30))
    above = plan_create(platform=province_platform, name="一期", deadline=dt.date(2023, 6, 30))
    henan = UserFactory(username="henan", role="province", region=city.province)
    for who in (users.bob, users.charlie, users.dana):
        client.force_login(who)
        assert client.get(delete_url(plan)).status_code == 404
        assert client.post(delete_url(plan), {"confirm": "yes"}).status_code == 404
    # The city's officer sees the province platform above her, and changes none of it.
    client.force_login(users.alice)
    assert client.get(f"/onboarding/?platform={province_platform.code}").status_code == 200
    assert client.post(delete_url(above), {"confirm": "yes"}).status_code == 404
    created = client.post(
        f"/onboarding/{province_platform.code}/plan/", {"name": "二期", "deadline": "2024-01-01"}
    )
    assert created.status_code == 404
    # The province's officer manages the city platforms below his.
    client.force_login(henan)
    assert (
        client.post(
            f"/onboarding/{city.platform.code}/plan/", {"name": "二期", "deadline": "2024-01-01"}
        ).status_code
        == 302
    )
    assert client.post(delete_url(plan), {"confirm": "yes"}).status_code == 302
    assert set(OnboardingPlan.objects.values_list("platform__code", "name")) == {
        ("henan", "一期"),
        (city.platform.code, "二期"),
    }
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PHASE_CREATED, actor=henan).exists()


def test_a_step_date_is_audited_once_per_change(city, users):
    plan = plan_create(platform=city.platform, name="一期", deadline=dt.date(2023, 6, 30))
    step = plan.steps.first()
    for day in (dt.date(2023, 5, 1), dt.date(2023, 5, 1), dt.date(2023, 5, 2), None):
        step_set_date(user=users.bob, institution=city.hc_people, step=step, done_on=day)
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ONBOARDING_CHANGED).order_by("id")
    assert [(e.details["old"], e.details["new"]) for e in events] == [
        (None, "2023-05-01"),
        ("2023-05-01", "2023-05-02"),
        ("2023-05-02", None),
    ]
    assert {e.actor for e in events} == {users.bob}
