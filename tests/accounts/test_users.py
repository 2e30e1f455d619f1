"""A city officer runs the accounts of their region from the browser: creates
county officers and hospital staff (never of their own level, above or beside),
edits, deactivates and resets passwords; a reset password must be changed at the
next sign-in; every user changes their own."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from tests.factories import RegionFactory, UserFactory

NEW = reverse("user-new")


@pytest.fixture
def alice(client, users):
    client.force_login(users.alice)
    return client


def issued_password(response) -> str:
    return re.search(r'id="issued-password">([^<]+)<', response.content.decode()).group(1)


def create(client, **fields):
    data = {
        "username": "lihua",
        "display_name": "李华",
        "phone": "0376-1234567",
        "email": "",
        "role": "county",
        "region": "411526",
        "institution": "",
        **fields,
    }
    return client.post(NEW, data)


def test_an_officer_creates_a_county_user_who_must_change_the_password(alice, quarter):
    response = create(alice)
    assert response.status_code == 200
    password = issued_password(response)
    user = User.objects.get(username="lihua")
    assert (user.role, user.region_id, user.display_name) == ("county", "411526", "李华")
    assert user.must_change_password and user.check_password(password)
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_CREATED, object_id=str(user.pk))
    assert event.actor.username == "alice"

    browser = Client()
    assert browser.login(username="lihua", password=password)
    response = browser.get("/institutions/")
    assert response.status_code == 302 and response.url == reverse("password-change")
    page = browser.get(reverse("password-change")).content.decode()
    assert "请先设置您自己的密码" in page
    response = browser.post(
        reverse("password-change"),
        {
            "old_password": password,
            "new_password1": "Huangchuan#2024",
            "new_password2": "Huangchuan#2024",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    page = browser.get("/institutions/", {"period": "2023Q2"}).content.decode()
    assert "潢川县人民医院" in page and "光山县人民医院" not in page
    assert "李华 · 潢川县" in page  # the name, not the login, in the navbar


@pytest.mark.parametrize(
    "fields, message",
    [
        # A city officer gives only the roles below their own: city is not offered.
        ({"role": "city", "region": "411526"}, "选择一个有效的选项"),
        ({"role": "hospital", "region": "", "institution": ""}, "医院用户须指定所属机构"),
    ],
)
def test_never_the_officers_own_level_or_without_a_scope(alice, city, fields, message):
    response = create(alice, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="lihua").exists()


def test_their_own_region_is_no_choice(alice, city):
    """Not offered, and a request naming it is refused whole, as any region outside
    the choices is (apps.core.forms.PortalForm)."""
    assert create(alice, role="county", region="411500").status_code == 404
    assert not User.objects.filter(username="lihua").exists()


def test_never_beside_the_officers_region(alice, city):
    nanyang = RegionFactory(code="411300", name="南阳市", level="city", parent=city.province)
    RegionFactory(code="411321", name="南召县", level="county", parent=nanyang)
    response = create(alice, region="411321")
    assert response.status_code == 404  # not even offered: another city's
    assert not User.objects.filter(username="lihua").exists()
    nora = UserFactory(username="nora", role="city", region=nanyang)
    nick = UserFactory(username="nick", role="county", region_id="411321")
    assert alice.get(reverse("user-edit", args=[nick.pk])).status_code == 404
    assert alice.get(reverse("user-edit", args=[nora.pk])).status_code == 404
    page = alice.get(reverse("user-list")).content.decode()
    assert "nick" not in page and "nora" not in page and "bob" in page and "dana" in page


def test_county_and_hospital_users_manage_no_accounts(client, users):
    for who in (users.bob, users.dana):
        client.force_login(who)
        assert client.get(reverse("user-list")).status_code == 404
        assert client.get(NEW).status_code == 404
        assert client.get(reverse("user-edit", args=[users.charlie.pk])).status_code == 404


def test_edit_deactivate_and_reset(alice, users):
    url = reverse("user-edit", args=[users.bob.pk])
    data = {
        "display_name": "鲍勃",
        "phone": "",
        "email": "",
        "role": "county",
        "region": "411526",
        "institution": "",
    }  # is_active unticked: deactivated
    assert alice.post(url, data).status_code == 302
    users.bob.refresh_from_db()
    assert users.bob.display_name == "鲍勃" and not users.bob.is_active
    assert not Client().login(username="bob", password="x")

    reset = reverse("user-password-reset", args=[users.dana.pk])
    assert "确定重置" in alice.get(reset).content.decode()
    users.dana.set_password("Old#Password1")
    users.dana.save()
    response = alice.post(reset, {"confirm": "yes"})
    password = issued_password(response)
    users.dana.refresh_from_db()
    assert users.dana.must_change_password and users.dana.check_password(password)
    assert not users.dana.check_password("Old#Password1")
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.PASSWORD_RESET, object_id=str(users.dana.pk), actor=users.alice
    ).exists()


def test_an_officer_cannot_deactivate_themselves_through_the_edit_page(client, city):
    # A province officer manages the city officers below; not themselves.
    province_officer = UserFactory(username="pat", role="province", region=city.province)
    client.force_login(province_officer)
    assert client.get(reverse("user-edit", args=[province_officer.pk])).status_code == 404


def test_every_user_changes_their_own_password(client, users):
    users.dana.set_password("Dana#Secret1")
    users.dana.save()
    client.force_login(users.dana)
    response = client.post(
        reverse("password-change"),
        {
            "old_password": "wrong",
            "new_password1": "Dana#Secret2x",
            "new_password2": "Dana#Secret2x",
        },
    )
    assert response.status_code == 200 and "您输入的原密码不正确" in response.content.decode()
    response = client.post(
        reverse("password-change"),
        {
            "old_password": "Dana#Secret1",
            "new_password1": "Dana#Secret2x",
            "new_password2": "Dana#Secret2x",
        },
    )
    assert response.status_code == 302
    users.dana.refresh_from_db()
    assert users.dana.check_password("Dana#Secret2x")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_CHANGED).exists()
