"""After a platform's night the dashboards its officers open first are already
computed (apps/web/warm.py): the first officer of the morning computes no figures
and judges no anomalies, and sees what a cold page would have shown."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache

from apps.ingestion.tasks import pull_platform_night
from apps.metrics import anomalies, figures
from apps.web.warm import dashboards_warm


@pytest.fixture
def computed(monkeypatch):
    """The figures computed and the anomalies judged, as they happen."""
    calls: list[str] = []
    compute, judge = figures.figures_compute, anomalies._judge

    def counted(name, real):
        return lambda *args, **kwargs: calls.append(name) or real(*args, **kwargs)

    monkeypatch.setattr(figures, "figures_compute", counted("figures", compute))
    monkeypatch.setattr(anomalies, "_judge", counted("anomalies", judge))
    return calls


def shown(response) -> tuple:
    """What a dashboard shows: its summary, each panel's chart and table rows."""
    assert response.status_code == 200
    panels = response.context["panels"]
    return (
        response.context["summary"],
        [(p.sheet.key, p.chart, [list(r) for r in p.sheet.rows]) for p in panels],
    )


def test_a_warmed_dashboard_is_read_from_the_cache_and_shows_the_same(
    login, quarter, users, computed
):
    cold = {}
    for user in (users.alice, users.bob):
        cache.clear()
        cold[user.username] = shown(login(user).get("/dashboard/"))
    assert "figures" in computed and "anomalies" in computed  # a cold page computes
    cache.clear()
    # The city, each county, and everything (the superuser): one scope each.
    assert dashboards_warm(quarter.platform) == 4
    computed.clear()
    for user in (users.alice, users.bob, users.charlie):
        now = shown(login(user).get("/dashboard/"))
        if user.username in cold:
            assert now == cold[user.username]
    assert computed == []


def test_a_scope_shared_by_two_officers_is_warmed_once(quarter, users):
    from tests.factories import UserFactory

    UserFactory(username="erin", role="city", region=quarter.city)
    assert dashboards_warm(quarter.platform) == 4


def test_an_inactive_officer_s_or_a_hospital_s_scope_is_not_warmed(quarter, users):
    users.charlie.is_active = False
    users.charlie.save()
    assert dashboards_warm(quarter.platform) == 3  # the city, 潢川, everything


@time_machine.travel(dt.datetime(2023, 7, 1, 2, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))
def test_the_night_warms_the_dashboards(platform_sim, users, login, computed, celery_in_process):
    platform, _sim = platform_sim()
    pull_platform_night(platform.pk)
    computed.clear()
    assert login(users.alice).get(f"/dashboard/?platform={platform.code}").status_code == 200
    assert computed == []
