"""A platform's interface settings on its page: URL, token (write-only), the
silent threshold, and a "test the connection" that asks /institutions of the
simulator over loopback and says what it found."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from apps.alerts.services import silent_after_days
from apps.audit.models import AuditEvent
from apps.ingestion.simulator import Faults, Simulator
from tests.simulated import truth


@pytest.fixture
def page(city):
    return reverse("platform-sync", args=[city.platform.code])


@pytest.fixture
def sim():
    simulator = Simulator(truth(), Faults(page_size=2, retry_after=0), token="s3cret-token")
    url = simulator.start()
    yield simulator, url
    simulator.stop()


def post(client, page, action, **fields):
    return client.post(page, {"action": action, "silent_after_days": "3", **fields})


def test_settings_are_saved_the_token_never_shown_and_audited(client, users, city, page, sim):
    _simulator, url = sim
    client.force_login(users.alice)
    response = post(
        client, page, "settings", api_url=url, api_token="s3cret-token", silent_after_days="5"
    )
    assert response.status_code == 302
    city.platform.refresh_from_db()
    assert (city.platform.api_url, city.platform.api_token) == (url, "s3cret-token")
    assert silent_after_days(city.platform) == 5
    html = client.get(page).content.decode()
    assert "s3cret-token" not in html and url in html
    event = AuditEvent.objects.get(action=AuditEvent.Action.REGISTRY_CHANGED)
    assert event.actor == users.alice and "s3cret-token" not in str(event.details)
    assert event.details["silent_after_days"] == {"old": 3, "new": 5}
    # Saved again with the token left empty, as a browser sends it: nothing changes.
    response = post(client, page, "settings", api_url=url, api_token="", silent_after_days="5")
    city.platform.refresh_from_db()
    assert city.platform.api_token == "s3cret-token"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRY_CHANGED).count() == 1
    assert "没有需要保存的修改" in client.get(page).content.decode()


def test_testing_the_connection_reports_what_the_platform_answered(client, users, city, page, sim):
    simulator, url = sim
    client.force_login(users.alice)
    html = post(client, page, "test", api_url=url, api_token="s3cret-token").content.decode()
    assert "平台已响应：3 家机构（其中 2 家在机构名录中）" in html
    assert "已联通：2" in html and "联调中：1" in html
    city.platform.refresh_from_db()
    assert city.platform.api_url == ""  # a test stores nothing
    # A refused token and a platform that is gone read alike (see test_connection_test.py).
    not_as_expected = gettext("The platform did not answer as expected.")
    html = post(client, page, "test", api_url=url, api_token="wrong").content.decode()
    assert not_as_expected in html
    simulator.stop()
    html = post(client, page, "test", api_url=url, api_token="s3cret-token").content.decode()
    assert 'id="connection-test"' in html and not_as_expected in html


def test_only_the_platforms_officers_reach_the_settings(client, users, page):
    client.force_login(users.bob)
    assert client.post(page, {"action": "settings", "api_url": "http://x"}).status_code == 404
