"""The province role (省卫健委): it sees every unit of its province — city platforms
connected as one unit each under their city, province hospitals under the province
(省属) — publishes the province's bulletins, runs its pulls and imports; the city
officers under it see only their city; another province stays out of reach."""

import io
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.scoping import (
    institutions_for,
    may_import,
    sees_audit_log,
    users_for,
    watches_ingestion,
)
from apps.bulletins.selectors import can_manage_bulletins
from apps.institutions.models import Institution
from tests.factories import InstitutionFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def province(quarter, users):
    city = quarter
    """河南省 with a province hospital and 信阳's own platform as one unit; and 江苏省
    beside it with a hospital of its own."""
    city.provincial = InstitutionFactory(
        org_code="41000000001", name="河南省人民医院", region=city.province
    )
    city.city_platform = InstitutionFactory(
        org_code="41150099999",
        name="信阳市全民健康信息平台",
        region=city.city,
        category=Institution.Category.REGIONAL_PLATFORM,
    )
    jiangsu = RegionFactory(code="320000", name="江苏省", level="province")
    city.jiangsu = InstitutionFactory(org_code="32000000001", name="江苏省人民医院", region=jiangsu)
    return city


def test_add_user_gives_the_province_role_to_a_province_only(province):
    call_command(
        "add_user",
        "zhao",
        role="province",
        scope="410000",
        password="Hipw4tch!x",
        stdout=io.StringIO(),
    )
    user = User.objects.get(username="zhao")
    assert (user.role, user.region.code) == ("province", "410000")
    with pytest.raises(CommandError, match="省"):
        call_command("add_user", "qian", role="province", scope="411500", stdout=io.StringIO())
    with pytest.raises(CommandError, match="市"):
        call_command("add_user", "sun", role="city", scope="410000", stdout=io.StringIO())


def test_the_province_sees_its_units_and_runs_the_portal_for_them(province, users):
    officer = UserFactory(username="zhao", role="province", region=province.province)
    seen = set(institutions_for(officer).values_list("name", flat=True))
    assert {"河南省人民医院", "信阳市全民健康信息平台", "信阳市中心医院", "潢川县人民医院"} <= seen
    assert "江苏省人民医院" not in seen
    assert set(institutions_for(users.alice).values_list("name", flat=True)) == seen - {
        "河南省人民医院"
    }
    assert province.provincial.region_label == "省属"
    assert province.city_platform.region_label == "信阳市"
    assert province.central.region_label == "市直"
    assert can_manage_bulletins(officer, province.province)
    assert not can_manage_bulletins(users.alice, province.province)
    assert watches_ingestion(officer) and may_import(officer) and sees_audit_log(officer)
    assert set(users_for(officer)) >= {users.alice, users.bob}


def test_pages_answer_for_the_province_and_404_beyond_it(client, province):
    officer = UserFactory(username="zhao", role="province", region=province.province)
    client.force_login(officer)
    listing = client.get(reverse("institution-list"))
    assert listing.status_code == 200 and "河南省人民医院" in listing.text
    assert "江苏省人民医院" not in listing.text
    page = client.get(reverse("institution-detail", args=["41000000001"]))
    assert page.status_code == 200
    assert client.get(reverse("institution-detail", args=["32000000001"])).status_code == 404
    assert client.get(reverse("report")).status_code == 200
    assert client.get(reverse("audit-list")).status_code == 200
    assert client.get(reverse("sync-log")).status_code == 200


def test_city_users_of_a_province_become_its_officers_on_migration(province):
    user = User.objects.create(username="old", role="city", region=province.province)
    module = import_module("apps.accounts.migrations.0003_province_role")
    module.province_officers(django_apps, None)
    user.refresh_from_db()
    assert user.role == "province"
