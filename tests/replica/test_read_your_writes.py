"""Pages on a real streaming replica (.ci/run starts a hot standby of the test
server and sets DATABASE_REPLICA_URL): with the replica's replay paused, the
officer who saved sees the save (pinned to the primary until the replica has
replayed it); another officer reads the replica — the state before, whole — and
after the replay resumes, the new one. Pinning off, the officer would not see
their own save: the test would fail. A replica that cannot be reached: pages read
the primary, never a 500."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.urls import reverse

from apps.core.routing import PIN
from apps.core.routing import replica_replayed as caught_up
from apps.core.routing import scalar as one
from apps.ingestion.vendor import VENDOR_QUERIES
from tests.conftest import connect, upload
from tests.factories import UserFactory

REQUIRED = os.environ.get("HIPWATCH_TEST_REPLICA") == "required"

pytestmark = [
    pytest.mark.skipif(
        "replica" not in settings.DATABASES and not REQUIRED,
        reason="needs a streaming replica (DATABASE_REPLICA_URL; .ci/run starts one)",
    ),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def test_the_replica_is_configured_where_required():
    assert "replica" in settings.DATABASES, "HIPWATCH_TEST_REPLICA=required: no replica"


@pytest.fixture
def paused():
    """The replica's replay paused (as when it falls behind), resumed after."""
    caught_up()
    one("replica", "SELECT pg_wal_replay_pause()::text")
    try:
        yield
    finally:
        one("replica", "SELECT pg_wal_replay_resume()::text")


@pytest.fixture
def officers(users, city):
    erin = UserFactory(username="erin", role="city", region=city.city)
    return users.alice, erin


def save_a_source(client, page):
    response = client.post(
        page,
        {
            "action": "save",
            "source": "sql",
            "sql_url": "mysql+pymysql://reader@10.0.0.8:3306/platform",
            "sql_password": "pa55-word",
            "sql_timeout": "120",
            **{f"query_{k}": q for k, q in VENDOR_QUERIES.items()},
        },
    )
    assert response.status_code == 302


def test_the_officer_who_saved_sees_it_and_another_reads_the_replica_whole(
    client, city, officers, paused
):
    from django.test import Client

    alice, erin = officers
    page = reverse("platform-source", args=[city.platform.code])
    other = Client()
    other.force_login(erin)
    client.force_login(alice)
    caught_up_before = other.get(page).content.decode()
    assert "10.0.0.8" not in caught_up_before
    save_a_source(client, page)
    # Alice reads the primary: her save is there.
    assert "10.0.0.8" in client.get(page).content.decode()
    assert client.session.get(PIN)
    # Erin reads the replica, paused before the save: the page as it was.
    assert "10.0.0.8" not in other.get(page).content.decode()
    one("replica", "SELECT pg_wal_replay_resume()::text")
    caught_up()
    assert "10.0.0.8" in other.get(page).content.decode()
    # Replayed past her write: Alice reads the replica again, her pin dropped.
    assert "10.0.0.8" in client.get(page).content.decode()
    assert not client.session.get(PIN)


@pytest.fixture
def april(city):
    """The central hospital's April: four tables every day, 10 records each."""
    connect(city.central, city.platform, since=dt.date(2023, 1, 1))
    day, rows = dt.date(2023, 4, 1), []
    while day.month == 4:
        rows += [(day, "41150000001", code, 10) for code in ("T1", "T2", "T3", "T4")]
        day += dt.timedelta(days=1)
    upload(city.platform, rows)
    return city


def central_figures(client) -> dict:
    response = client.get("/api/v1/metrics/", {"start": "2023-04-01", "end": "2023-06-30"})
    assert response.status_code == 200
    (row,) = [r for r in response.json()["results"] if r["org_code"] == "41150000001"]
    return {f: row[f] for f in ("records", "upload_days", "tables_uploaded")}


OLD = {"records": 1200, "upload_days": 30, "tables_uploaded": 4}
NEW = {"records": 1215, "upload_days": 33, "tables_uploaded": 4}


def a_night_on_the_primary(platform) -> None:
    upload(platform, [(dt.date(2023, 5, d), "41150000001", "T1", 5) for d in (1, 2, 3)])


def test_figures_on_the_replica_are_one_state_of_the_data(client, april, officers, paused):
    """The figures of a page read on the replica come from it alone (the roll-ups'
    rows too, not from the primary beside it): a night stored on the primary while
    the replay is paused changes nothing of them, then all of them. Computed afresh
    each time (the cache cleared), not the figures cached before."""
    _alice, erin = officers
    client.force_login(erin)
    cache.clear()
    assert central_figures(client) == OLD
    a_night_on_the_primary(april.platform)
    cache.clear()
    assert central_figures(client) == OLD
    one("replica", "SELECT pg_wal_replay_resume()::text")
    caught_up()
    cache.clear()
    assert central_figures(client) == NEW


def test_the_cache_never_serves_one_database_s_figures_to_a_page_of_the_other(
    client, april, officers, paused
):
    """The figures' cache keys on the version of the data the page reads: the
    officer pinned to the primary caches the new figures, the officer on the paused
    replica still gets the figures of the replica's data (not the primary's from the
    cache), then, replayed, the new ones."""
    from django.test import Client

    alice, erin = officers
    other = Client()
    other.force_login(erin)
    client.force_login(alice)
    assert central_figures(other) == OLD  # the replica's, cached under its version
    a_night_on_the_primary(april.platform)
    save_a_source(client, reverse("platform-source", args=[april.platform.code]))
    assert client.session.get(PIN)
    assert central_figures(client) == NEW  # the primary's, cached under the new version
    assert central_figures(other) == OLD
    assert central_figures(client) == NEW
    one("replica", "SELECT pg_wal_replay_resume()::text")
    caught_up()
    assert central_figures(other) == NEW
    assert central_figures(client) == NEW


def test_without_pinning_the_officer_would_not_see_her_save(
    client, city, officers, paused, settings
):
    settings.HIPWATCH_REPLICA_PINNING = False
    alice, _erin = officers
    page = reverse("platform-source", args=[city.platform.code])
    client.force_login(alice)
    save_a_source(client, page)
    assert "10.0.0.8" not in client.get(page).content.decode()


def test_a_replica_out_of_reach_sends_pages_to_the_primary(client, city, officers, caplog):
    alice, _erin = officers
    client.force_login(alice)
    replica = connections["replica"]
    saved = replica.settings_dict["PORT"]
    replica.close()
    replica.settings_dict["PORT"] = "9"  # nothing listens there
    try:
        with caplog.at_level(logging.WARNING, logger="apps.core.routing"):
            response = client.get(reverse("institution-list"))
    finally:
        replica.close()
        replica.settings_dict["PORT"] = saved
    assert response.status_code == 200
    assert any("replica cannot be read" in r.getMessage() for r in caplog.records)


def test_a_replica_lagging_past_its_limit_is_not_read(
    client, city, officers, paused, settings, caplog
):
    from django.test import Client

    settings.HIPWATCH_REPLICA_MAX_LAG = 0.5
    alice, erin = officers
    page = reverse("platform-source", args=[city.platform.code])
    client.force_login(alice)
    save_a_source(client, page)  # written on the primary, not replayed
    time.sleep(1)
    other = Client()
    other.force_login(erin)
    with caplog.at_level(logging.WARNING, logger="apps.core.routing"):
        html = other.get(page).content.decode()
    assert "10.0.0.8" in html  # read on the primary
    assert any("lags" in r.getMessage() for r in caplog.records)
