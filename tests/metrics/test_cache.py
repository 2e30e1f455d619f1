"""The figures are cached under the data version: a repeat costs one query, and
every kind of change (statistics, connections, the registry, the catalogue, the
admin's saves) is seen at once."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from apps.core.versioning import data_version
from apps.institutions.models import Institution
from apps.metrics.figures import data_span, period_figures
from apps.platforms.models import CatalogueTable
from tests.conftest import connect, upload
from tests.processes import free_port

pytestmark = pytest.mark.django_db

D = dt.date


def figures(city):
    return period_figures(
        institutions=Institution.objects.all(),
        platform=city.platform,
        start=D(2023, 4, 1),
        end=D(2023, 6, 30),
    )


@pytest.fixture
def stored(city):
    connect(city.central, city.platform)
    connect(city.hc_people, city.platform)
    upload(city.platform, [(D(2023, 4, 3), "41150000001", "T1", 5)])
    return city


def row(result, org_code):
    return result.by_org_code()[org_code]


def test_a_repeat_costs_one_query(stored, django_assert_num_queries):
    first = figures(stored)
    with django_assert_num_queries(1):  # the data version
        again = figures(stored)
    assert [(r.org_code, r.records, r.tier) for r in again.rows] == [
        (r.org_code, r.records, r.tier) for r in first.rows
    ]


def test_new_statistics_are_seen_at_once(stored):
    assert row(figures(stored), "41152600001").records == 0
    upload(stored.platform, [(D(2023, 4, 4), "41152600001", "T2", 9)])
    assert row(figures(stored), "41152600001").records == 9
    assert data_span(stored.platform) == (D(2023, 4, 3), D(2023, 4, 4))


def test_connection_changes_are_seen_at_once(stored):
    assert row(figures(stored), "41152200001").connection_status == "not_connected"
    connect(stored.gs_people, stored.platform)
    assert row(figures(stored), "41152200001").connection_status == "connected"


def test_registry_and_catalogue_edits_are_seen_at_once(stored):
    assert row(figures(stored), "41150000001").completeness == 25
    CatalogueTable.objects.filter(edition=stored.edition, code="T4").delete()
    assert str(row(figures(stored), "41150000001").completeness) == "33.3"
    stored.central.name = "信阳市中心医院（新名）"
    stored.central.save()  # as the admin does
    assert row(figures(stored), "41150000001").name == "信阳市中心医院（新名）"
    stored.gs_people.active = False
    stored.gs_people.save()
    assert "41152200001" not in figures(stored).by_org_code()


def test_each_write_moves_the_version(stored):
    before = data_version()
    upload(stored.platform, [(D(2023, 4, 5), "41150000001", "T1", 1)])
    assert data_version() != before


def test_figures_are_computed_when_the_cache_is_down(stored):
    # Redis on a port nobody listens on: the cache misses instead of failing.
    port = free_port()
    down = {
        "default": {
            "BACKEND": "apps.core.cache.TolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        },
        "local": settings.CACHES["local"],  # each process's own, never down
    }
    plain = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    with override_settings(CACHES=plain), pytest.raises(Exception):  # noqa: B017
        cache.get("anything")  # the server really is down
    with override_settings(CACHES=down):
        assert cache.get("anything", "missed") == "missed"
        cache.set("anything", 1)
        assert row(figures(stored), "41150000001").records == 5


def test_the_institution_list_works_when_the_cache_is_down(client, stored, users):
    down = {
        "default": {
            "BACKEND": "apps.core.cache.TolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        },
        "local": settings.CACHES["local"],  # each process's own, never down
    }
    client.force_login(users.alice)
    with override_settings(CACHES=down):
        response = client.get(reverse("institution-list"), {"period": "2023Q2"})
    assert response.status_code == 200 and "信阳市中心医院" in response.content.decode()


def test_the_cached_list_follows_new_statistics(client, stored, users):
    client.force_login(users.alice)
    url = reverse("institution-list")
    before = client.get(url, {"period": "2023Q2"}).content.decode()
    assert "1,234,567" not in before
    upload(stored.platform, [(D(2023, 4, 6), "41152600001", "T1", 1234567)])
    assert "1,234,567" in client.get(url, {"period": "2023Q2"}).content.decode()


def test_a_page_reads_the_data_version_once(client, stored, users):
    """A page keys several caches on the version: within one GET it is read once
    (a write in between would read it again: data_changed clears the memo)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users.alice)
    url = reverse("institution-list")
    client.get(url, {"period": "2023Q2"})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"period": "2023Q2"}).status_code == 200
    reads = [q for q in queries.captured_queries if "core_dataversion" in q["sql"]]
    assert len(reads) == 1
    # Outside a request every call reads it, and a write moves it at once.
    before = data_version()
    upload(stored.platform, [(D(2023, 4, 7), "41152600001", "T1", 3)])
    assert data_version() != before


def test_a_write_inside_a_reading_request_is_seen_by_its_next_read(stored):
    from apps.core.versioning import _request_version, data_changed

    token = _request_version.set({})
    try:
        first = data_version()
        assert data_version() == first  # memoised
        data_changed()
        assert data_version() != first
    finally:
        _request_version.reset(token)
