"""PostgreSQL restarted (or the connection dropped) between two requests: the next
request succeeds. The portal keeps connections open (CONN_MAX_AGE) and checks one
before reusing it (CONN_HEALTH_CHECKS). The machine's PostgreSQL is shared, so the
restart is what the web process sees of one: its server-side connection is ended
with pg_terminate_backend."""

import pytest
from django.db import connection
from django.urls import reverse

from tests.processes import needs_database_server

from .servers import Web

pytestmark = [needs_database_server, pytest.mark.django_db(transaction=True)]


def drop_the_portals_connections() -> int:
    """End every other backend on the test database, as a restart would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


PAGES = ["home", "institution-list"]


@pytest.fixture
def web(tmp_path):
    servers = []

    def start(**env):
        servers.append(Web(tmp_path, **env))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_the_next_request_after_a_database_restart_succeeds(quarter, users, web):
    server = web()
    browser = server.session_of(users.alice)
    for name in PAGES:
        assert browser.get(server.url + reverse(name), timeout=30).status_code == 200
    assert drop_the_portals_connections() >= 1  # the web process's kept connection
    for name in PAGES:
        response = browser.get(server.url + reverse(name), timeout=30)
        assert response.status_code == 200, name
        assert "信阳市中心医院" in response.text or name == "home"


def test_without_health_checks_the_request_after_a_restart_fails(users, web):
    """Why CONN_HEALTH_CHECKS is on: a kept connection that died is otherwise used."""
    server = web(CONN_HEALTH_CHECKS="false")
    browser = server.session_of(users.alice)
    url = server.url + reverse("institution-list")
    assert browser.get(url, timeout=30).status_code == 200
    assert drop_the_portals_connections() >= 1
    assert browser.get(url, timeout=30).status_code == 500
    # Django drops the broken connection at the end of that request: the next one works.
    assert browser.get(url, timeout=30).status_code == 200
