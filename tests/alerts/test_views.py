"""The bell, the notifications page and the silent institutions (page and Excel),
each within the user's scope: bob never sees 光山县."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook

from apps.alerts.context_processors import unread_notifications
from apps.alerts.models import Channel, Notification
from apps.alerts.services import alerts_evaluate, alerts_process_flips

from .conftest import TODAY


@pytest.fixture
def alerted(watched, users, smtp):
    """All three hospitals silent on 2023-06-10, their flips delivered."""
    alerts_evaluate(platform=watched.platform, today=TODAY)
    alerts_process_flips()
    return watched


def test_the_bell_shows_the_unread_count(client, alerted, users):
    client.force_login(users.bob)
    page = client.get(reverse("alerts-notifications")).content.decode()
    assert 'id="alerts-unread">1<' in page
    client.force_login(users.alice)
    page = client.get(reverse("alerts-notifications")).content.decode()
    assert 'id="alerts-unread">3<' in page


def test_the_bell_costs_one_query(client, alerted, users, django_assert_num_queries):

    request = RequestFactory().get("/")
    request.user = users.alice
    with django_assert_num_queries(1):
        assert unread_notifications(request) == {"unread_notifications": 3}


def test_a_user_sees_only_their_own_notifications(client, alerted, users):
    client.force_login(users.bob)
    page = client.get(reverse("alerts-notifications")).content.decode()
    assert "潢川县人民医院" in page
    assert "光山县人民医院" not in page and "信阳市中心医院" not in page
    assert page.count('class="list-group-item list-group-item-action notification') == 1


def test_marking_all_read_clears_the_bell(client, alerted, users):
    client.force_login(users.alice)
    response = client.post(reverse("alerts-read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=users.alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=users.bob, read_at__isnull=True).count() == 1
    page = client.get(reverse("alerts-notifications")).content.decode()
    assert 'id="alerts-unread"' not in page
    assert "unread" not in page.split('id="notifications"')[1]


def test_marking_read_needs_a_post(client, alerted, users):
    client.force_login(users.alice)
    assert client.get(reverse("alerts-read")).status_code == 405
    assert Notification.objects.filter(user=users.alice, read_at__isnull=True).count() == 3


def test_opening_a_notification_marks_it_read_and_goes_to_the_institution(client, alerted, users):
    mine = Notification.objects.get(user=users.bob)
    client.force_login(users.bob)
    response = client.get(reverse("alerts-open", args=[mine.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/institutions/41152600001/?platform=city"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_another_users_notification_is_404(client, alerted, users):
    charlies = Notification.objects.get(user=users.charlie)
    client.force_login(users.bob)
    assert client.get(reverse("alerts-open", args=[charlies.pk])).status_code == 404
    charlies.refresh_from_db()
    assert charlies.read_at is None


def test_the_silent_page_lists_the_scope_only(client, alerted, users):
    client.force_login(users.bob)
    page = client.get(reverse("alerts-silent")).content.decode()
    assert "潢川县人民医院" in page and "2023-06-05" in page
    assert "光山县人民医院" not in page and "信阳市中心医院" not in page
    client.force_login(users.charlie)
    page = client.get(reverse("alerts-silent")).content.decode()
    assert "光山县人民医院" in page and "潢川县人民医院" not in page
    client.force_login(users.alice)
    page = client.get(reverse("alerts-silent")).content.decode()
    assert all(n in page for n in ("潢川县人民医院", "光山县人民医院", "信阳市中心医院"))


def test_a_hospital_user_sees_its_own_institution_only(client, alerted, users):
    client.force_login(users.dana)
    page = client.get(reverse("alerts-silent")).content.decode()
    assert "潢川县人民医院" in page and "光山县人民医院" not in page


def test_another_countys_region_is_404_on_the_page_and_the_export(client, alerted, users):
    client.force_login(users.bob)
    for name in ("alerts-silent", "alerts-silent-xlsx"):
        assert client.get(reverse(name), {"region": "411522"}).status_code == 404
        assert client.get(reverse(name), {"region": "411526"}).status_code == 200
        assert client.get(reverse(name), {"platform": "nope"}).status_code == 404


def rows_of(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]


def test_the_export_has_the_pages_rows(client, alerted, users):
    client.force_login(users.bob)
    response = client.get(reverse("alerts-silent-xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ((platform, region, code, name, last, days, since),) = rows_of(response)
    assert (platform, region, code, name) == (
        "市全民健康信息平台",
        "潢川县",
        "41152600001",
        "潢川县人民医院",
    )
    assert (last.date().isoformat(), days) == ("2023-06-05", 4)
    # 中断起始 is the first day without records, not the day the alert was evaluated.
    assert since.date().isoformat() == "2023-06-06"
    client.force_login(users.alice)
    names = [r[3] for r in rows_of(client.get(reverse("alerts-silent-xlsx"), {"region": "411522"}))]
    assert names == ["光山县人民医院"]


def test_the_alert_pages_need_a_login(client, alerted):
    for name in ("alerts-notifications", "alerts-silent", "alerts-silent-xlsx"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_officer_sees_the_channels_of_their_region_only_in_the_admin(client, watched, users):
    Channel.objects.create(
        region=watched.huangchuan, kind="wecom", name="潢川群", webhook_url="https://h.example/"
    )
    Channel.objects.create(
        region=watched.guangshan, kind="wecom", name="光山群", webhook_url="https://g.example/"
    )
    users.bob.is_staff = True
    users.bob.save()
    users.bob.user_permissions.add(Permission.objects.get(codename="view_channel"))
    client.force_login(users.bob)
    page = client.get(reverse("admin:alerts_channel_changelist")).content.decode()
    assert "潢川群" in page and "光山群" not in page
    other = Channel.objects.get(name="光山群")
    assert client.get(reverse("admin:alerts_channel_change", args=[other.pk])).status_code == 302
