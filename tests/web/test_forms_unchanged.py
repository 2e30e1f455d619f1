"""Every form of the portal, saved unchanged as a browser submits it, changes
nothing: the page's own HTML is read as a browser reads it (tests/browser_form.py:
ISO date inputs, selected options, textareas) and posted back."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.urls import reverse

from apps.institutions.models import Institution
from apps.onboarding.models import OnboardingPlan, StepCompletion
from apps.platforms.models import Connection, TableEdition
from apps.rectification.models import RectificationTask
from apps.regions.models import Region
from apps.reports.models import ReportLayout
from tests.browser_form import form_data
from tests.conftest import make_bulletin

# What a form may touch; sessions, admin log entries and audit rows of sign-ins are
# not the data a form edits.
WATCHED_APPS = (
    "regions",
    "institutions",
    "platforms",
    "bulletins",
    "onboarding",
    "rectification",
    "alerts",
    "accounts",
    "audit",
)
IGNORED_FIELDS = {"last_login"}


def snapshot() -> dict:
    state = {}
    for label in WATCHED_APPS:
        for model in apps.get_app_config(label).get_models():
            rows = list(model.objects.order_by("pk").values())
            state[model._meta.label] = [
                {k: v for k, v in row.items() if k not in IGNORED_FIELDS} for row in rows
            ]
    return state


def save_unchanged(client, url: str, form_id: str | None = None):
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    data = form_data(page.content.decode(), form_id)
    return client.post(url, data)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def test_the_onboarding_dates_survive_an_unchanged_save(officer_client, demo):
    """The regression: dates rendered as 2023/04/25, which a browser drops."""
    done = StepCompletion.objects.filter(step__plan__platform=demo).first()
    url = reverse("onboarding-edit", args=[done.step.plan_id, done.institution.org_code])
    html = officer_client.get(url).content.decode()
    assert f'value="{done.done_on.isoformat()}"' in html
    before = snapshot()
    response = save_unchanged(officer_client, url, "steps-form")
    assert response.status_code == 302
    assert snapshot() == before


def test_a_bulletin_draft_saved_unchanged_keeps_everything(officer_client, officer, demo):
    draft = make_bulletin(
        officer,
        demo,
        requirements="（一）加快接入进度。\n（二）加强维护。",
        report_layout=ReportLayout.objects.get(name="省平台数据上传情况（江苏简报样式）"),
    )
    before = snapshot()
    response = save_unchanged(
        officer_client, reverse("bulletin-edit", args=[draft.pk]), "bulletin-form"
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    after = snapshot()
    # The save itself is recorded in `updated_at`; nothing the officer wrote changed.
    for state in (before, after):
        for row in state["bulletins.Bulletin"]:
            row.pop("updated_at")
    assert after == before


def admin_change_urls(demo) -> list[tuple[str, str]]:
    objects = [
        Region.objects.get(code="411500"),
        Institution.objects.get(org_code="41150000001"),
        demo,
        TableEdition.objects.filter(platform=demo).first(),
        Connection.objects.filter(platform=demo).first(),
        OnboardingPlan.objects.filter(platform=demo).first(),
        StepCompletion.objects.first(),
        RectificationTask.objects.first(),
    ]
    urls = []
    for obj in objects:
        if obj is None:
            continue
        meta = obj._meta
        urls.append(
            (
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]),
                f"{meta.model_name}_form",
            )
        )
    return urls


def test_admin_change_forms_saved_unchanged_change_nothing(client, demo, officer):
    from apps.accounts.models import User

    make_bulletin(officer, demo)
    admin = User.objects.filter(is_superuser=True).first()
    client.force_login(admin)
    urls = [
        *admin_change_urls(demo),
        (reverse("admin:accounts_user_change", args=[officer.pk]), "user_form"),
    ]
    for url, form_id in urls:
        before = snapshot()
        response = save_unchanged(client, url, form_id)
        assert response.status_code == 302, (url, response.content.decode()[-3000:])
        after = snapshot()
        for state in (before, after):
            for row in state["bulletins.Bulletin"]:
                row.pop("updated_at")
        assert after == before, url


def test_an_account_saved_unchanged_keeps_everything(officer_client, officer, demo):
    from apps.accounts.models import User

    account = User.objects.get(username="huangchuan")
    account.display_name, account.phone = "黄川", "0376-3333333"
    account.save()
    url = reverse("user-edit", args=[account.pk])
    before = snapshot()
    response = save_unchanged(officer_client, url, "user-form")
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert snapshot() == before


def test_every_text_field_says_how_long_it_may_be(officer_client, officer, demo):
    """A browser stops at the length the database holds, instead of a raw error
    after the post."""
    draft = make_bulletin(officer, demo)
    pages = [
        reverse("bulletin-edit", args=[draft.pk]),
        reverse("bulletin-new"),
        reverse("user-new"),
        reverse("import-new", args=["tables"]),
        reverse("rectification-new"),
        reverse("platform-sync", args=[demo.code]),
        reverse("audit-list"),
        reverse("institution-list") + "?period=2023Q2",
    ]
    unbounded = []
    for url in pages:
        html = officer_client.get(url).content.decode()
        for tag in re.findall(r"<input[^>]*>", html):
            kind = re.search(r'type="([^"]+)"', tag)
            if kind and kind.group(1) in ("text", "search", "email", "url", "tel", "password"):
                if "maxlength=" not in tag:
                    unbounded.append((url, tag))
    assert not unbounded, unbounded
