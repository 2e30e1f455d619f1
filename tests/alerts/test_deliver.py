"""Each flip reaches, once, the hospital's users and the officers whose region holds
it: in the bell and by e-mail through a real SMTP server."""

import threading

import pytest
from django.db import connection
from django.utils.translation import gettext

from apps.alerts.models import Delivery, Flip, Notification
from apps.alerts.services import alerts_evaluate, alerts_process_flips, flip_process

from .conftest import TODAY, upload_on


def notified(flip_institution):
    return set(
        Notification.objects.filter(flip__institution=flip_institution).values_list(
            "user__username", flat=True
        )
    )


@pytest.fixture
def hc_silent(watched):
    """Only 潢川县人民医院 goes silent on 2023-06-10."""
    for inst in (watched.central, watched.gs_people):
        upload_on(watched, inst, TODAY.replace(day=9))
    alerts_evaluate(platform=watched.platform, today=TODAY)
    return watched


def test_the_hospital_staff_and_the_officers_above_it_are_told(hc_silent, users, smtp):
    assert alerts_process_flips() == 1
    assert notified(hc_silent.hc_people) == {"dana", "bob", "alice"}
    assert sorted(a for m in smtp.messages for a in m.to) == [
        "alice@example.cn",
        "bob@example.cn",
        "dana@example.cn",
    ]
    assert smtp.to("charlie@example.cn") == []


def test_the_email_names_the_institution_and_the_days_in_its_subject(hc_silent, users, smtp):
    alerts_process_flips()
    (message,) = smtp.to("bob@example.cn")
    expected = gettext(
        "[Interconnection supervision] %(institution)s has uploaded no data for %(days)d days"
    ) % {"institution": "潢川县人民医院", "days": 4}
    assert message.subject == expected  # decoded from its RFC 2047 encoding
    assert "潢川县人民医院" in message.subject
    assert "41152600001" in message.body
    assert "2023-06-05" in message.body
    assert "/institutions/41152600001/?platform=city" in message.body


def test_the_back_email_follows_when_uploads_resume(hc_silent, users, smtp):
    alerts_process_flips()
    upload_on(hc_silent, hc_silent.hc_people, TODAY)
    alerts_evaluate(platform=hc_silent.platform, today=TODAY.replace(day=11))
    alerts_process_flips()
    back = smtp.to("dana@example.cn")[1]
    assert back.subject == gettext(
        "[Interconnection supervision] %(institution)s is uploading data again"
    ) % {"institution": "潢川县人民医院"}


def test_inactive_users_are_skipped_and_users_without_address_get_the_bell_only(
    hc_silent, users, smtp
):
    users.alice.is_active = False
    users.alice.save()
    users.bob.email = ""
    users.bob.save()
    alerts_process_flips()
    assert notified(hc_silent.hc_people) == {"dana", "bob"}
    assert [a for m in smtp.messages for a in m.to] == ["dana@example.cn"]


def test_evaluating_and_processing_twice_sends_one_email_per_recipient(hc_silent, users, smtp):
    alerts_process_flips()
    alerts_evaluate(platform=hc_silent.platform, today=TODAY)
    assert alerts_process_flips() == 0
    assert len(smtp.to("bob@example.cn")) == 1
    assert Notification.objects.filter(user=users.bob).count() == 1
    assert Delivery.objects.filter(state=Delivery.State.SENT).count() == 3


def test_a_flip_claimed_by_one_processor_is_not_sent_by_another(hc_silent, users, smtp):
    flip = Flip.objects.get()
    assert flip_process(flip_id=flip.pk) is True
    assert flip_process(flip_id=flip.pk) is False  # a second worker with the same list
    assert len(smtp.messages) == 3
    assert Notification.objects.count() == 3


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite's test database locks whole tables"
)
@pytest.mark.django_db(transaction=True)
def test_two_processors_running_at_once_send_each_email_once(city, users, smtp):
    from tests.conftest import connect

    connect(city.hc_people, city.platform)
    for user in (users.bob, users.dana):
        user.email = f"{user.username}@example.cn"
        user.save()
    alerts_evaluate(platform=city.platform, today=TODAY)
    start = threading.Barrier(2)
    results = []

    def worker():
        start.wait()
        try:
            results.append(alerts_process_flips())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 1
    assert sorted(a for m in smtp.messages for a in m.to) == ["bob@example.cn", "dana@example.cn"]
