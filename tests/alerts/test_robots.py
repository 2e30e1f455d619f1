"""WeCom and DingTalk group robots of the institution's regions get each flip; a
failed delivery (HTTP error, errcode, refused connection) is retried with backoff
and logged, and given up after the last attempt."""

import base64
import datetime as dt
import hashlib
import hmac
import time

import pytest
from django.utils import timezone

from apps.alerts.models import Channel, Delivery, Flip
from apps.alerts.services import alerts_evaluate, alerts_retry_deliveries, flip_process
from tests.processes import free_port

from .conftest import TODAY, upload_on

SECRET = "SEC0123456789abcdef"


@pytest.fixture
def hc_flip(watched):
    """潢川县人民医院 silent on 2023-06-10 (the other two keep uploading)."""
    for inst in (watched.central, watched.gs_people):
        upload_on(watched, inst, TODAY.replace(day=9))
    alerts_evaluate(platform=watched.platform, today=TODAY)
    return Flip.objects.get()


def wecom(city, robot, region=None):
    return Channel.objects.create(
        region=region or city.huangchuan,
        kind="wecom",
        name="潢川县信息化群",
        webhook_url=f"{robot.url}/cgi-bin/webhook/send?key=wecom-key-123",
    )


def test_the_regions_robots_receive_the_alert_text(watched, robot, hc_flip):
    wecom(watched, robot)
    Channel.objects.create(
        region=watched.city,
        kind="dingtalk",
        name="市卫健委钉钉群",
        webhook_url=f"{robot.url}/robot/send?access_token=ding-token",
        secret=SECRET,
    )
    Channel.objects.create(  # another county's robot hears nothing of 潢川县
        region=watched.guangshan, kind="wecom", name="光山", webhook_url=f"{robot.url}/gs"
    )
    Channel.objects.create(  # nor does a disabled one
        region=watched.city,
        kind="wecom",
        name="停用",
        webhook_url=f"{robot.url}/off",
        enabled=False,
    )
    before = int(time.time() * 1000)
    flip_process(flip_id=hc_flip.pk)
    by_path = {r.path: r for r in robot.requests}
    assert sorted(by_path) == ["/cgi-bin/webhook/send", "/robot/send"]
    wecom_post = by_path["/cgi-bin/webhook/send"]
    assert wecom_post.query == {"key": "wecom-key-123"}
    assert wecom_post.json["msgtype"] == "text"
    content = wecom_post.json["text"]["content"]
    assert "潢川县人民医院" in content and "41152600001" in content and "2023-06-05" in content
    ding = by_path["/robot/send"]
    assert ding.json == {"msgtype": "text", "text": {"content": content}}
    assert ding.query["access_token"] == "ding-token"
    timestamp = ding.query["timestamp"]
    assert before <= int(timestamp) <= int(time.time() * 1000)
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert ding.query["sign"] == expected
    sent = Delivery.objects.filter(state=Delivery.State.SENT, channel__isnull=False)
    assert sorted(sent.values_list("kind", flat=True)) == ["dingtalk", "wecom"]


def test_a_failed_post_is_retried_with_backoff_until_it_succeeds(watched, robot, hc_flip):
    wecom(watched, robot)
    robot.failures = ["http500", "errcode"]
    now = timezone.now()
    flip_process(flip_id=hc_flip.pk, now=now)
    delivery = Delivery.objects.get(kind="wecom")
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at == now + dt.timedelta(seconds=60)

    assert alerts_retry_deliveries(now=now + dt.timedelta(seconds=30)) == 0  # not yet due
    assert len(robot.requests) == 1

    assert alerts_retry_deliveries(now=now + dt.timedelta(seconds=61)) == 0
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 2)
    assert "310000" in delivery.last_error  # the robot's errcode
    assert delivery.next_attempt_at == now + dt.timedelta(seconds=61 + 120)

    assert alerts_retry_deliveries(now=now + dt.timedelta(seconds=61 + 120)) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert delivery.sent_at is not None
    assert len(robot.requests) == 3
    assert len({r.json["text"]["content"] for r in robot.requests}) == 1  # the same message


def test_a_delivery_is_given_up_after_the_last_attempt(watched, robot, hc_flip, settings, caplog):
    settings.HIPWATCH_ALERTS = {**settings.HIPWATCH_ALERTS, "max_attempts": 3}
    wecom(watched, robot)
    robot.failures = ["http500"] * 10
    now = timezone.now()
    flip_process(flip_id=hc_flip.pk, now=now)
    for hours in (1, 2, 3, 4):
        alerts_retry_deliveries(now=now + dt.timedelta(hours=hours))
    delivery = Delivery.objects.get(kind="wecom")
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert len(robot.requests) == 3
    assert "giving up" in caplog.text


def test_an_unreachable_robot_is_a_failure_without_its_key_in_the_log(watched, robot, hc_flip):
    Channel.objects.create(
        region=watched.huangchuan,
        kind="wecom",
        name="已下线",
        webhook_url=f"http://127.0.0.1:{free_port()}/send?key=secret-key-987",
    )
    flip_process(flip_id=hc_flip.pk)
    delivery = Delivery.objects.get(kind="wecom")
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "ConnectionError" in delivery.last_error
    assert "secret-key-987" not in delivery.last_error


def test_an_email_refused_by_the_server_is_sent_on_retry(watched, users, smtp, settings, hc_flip):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    now = timezone.now()
    flip_process(flip_id=hc_flip.pk, now=now)
    assert smtp.messages == []
    assert set(Delivery.objects.values_list("state", "attempts")) == {("pending", 1)}
    settings.EMAIL_PORT = port
    assert alerts_retry_deliveries(now=now + dt.timedelta(minutes=1)) == 3
    assert sorted(a for m in smtp.messages for a in m.to) == [
        "alice@example.cn",
        "bob@example.cn",
        "dana@example.cn",
    ]
