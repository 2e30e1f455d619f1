"""Each officer gets one digest a day listing the silent institutions in their scope."""

import datetime as dt

from django.utils.translation import gettext

from apps.alerts.models import Delivery
from apps.alerts.services import alerts_evaluate, alerts_send_digests

from .conftest import TODAY, upload_on


def test_each_officer_gets_the_silent_institutions_of_their_scope(watched, users, smtp):
    upload_on(watched, watched.central, TODAY.replace(day=9))
    alerts_evaluate(platform=watched.platform, today=TODAY)
    assert alerts_send_digests(today=TODAY) == 3  # alice, bob, charlie; not dana
    (bob,) = smtp.to("bob@example.cn")
    assert bob.subject == gettext(
        "[Interconnection supervision] Daily digest %(day)s: %(count)d silent institutions"
    ) % {"day": "2023-06-10", "count": 1}
    assert "潢川县人民医院" in bob.body and "2023-06-05" in bob.body
    assert "光山县人民医院" not in bob.body
    (alice,) = smtp.to("alice@example.cn")
    assert "潢川县人民医院" in alice.body and "光山县人民医院" in alice.body
    assert "信阳市中心医院" not in alice.body  # it uploaded yesterday
    assert smtp.to("dana@example.cn") == []


def test_the_digest_is_sent_once_a_day(watched, users, smtp):
    alerts_evaluate(platform=watched.platform, today=TODAY)
    alerts_send_digests(today=TODAY)
    assert alerts_send_digests(today=TODAY) == 0
    assert len(smtp.to("bob@example.cn")) == 1
    assert Delivery.objects.filter(kind="digest", user=users.bob).count() == 1
    alerts_evaluate(platform=watched.platform, today=TODAY + dt.timedelta(days=1))
    assert alerts_send_digests(today=TODAY + dt.timedelta(days=1)) == 3
    assert len(smtp.to("bob@example.cn")) == 2


def test_no_digest_when_nothing_is_silent(watched, users, smtp):
    for inst in (watched.central, watched.hc_people, watched.gs_people):
        upload_on(watched, inst, TODAY.replace(day=9))
    alerts_evaluate(platform=watched.platform, today=TODAY)
    assert alerts_send_digests(today=TODAY) == 0
    assert smtp.messages == []
    assert not Delivery.objects.exists()
