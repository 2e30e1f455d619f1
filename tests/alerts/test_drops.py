"""Volume drops as alerts (issue 12: "alerts may fire on them, once per change"):
where the platform's rule asks for it, an institution that still uploads but whose
last day is a drop of metrics.md's volume anomalies flips to 突降, once, and back
when a day is usual again; without the rule nothing changes."""

import datetime as dt

import pytest
from django.utils.translation import gettext

from apps.alerts import texts
from apps.alerts.models import AlertRule, Flip, Status, Watch
from apps.alerts.services import alerts_evaluate
from apps.institutions.models import Institution
from apps.metrics.anomalies import volume_anomalies
from tests.conftest import connect, upload

D = dt.date


@pytest.fixture
def busy(city, users):
    """信阳市中心医院, connected, uploads 950–1,040 records a day through May 2023."""
    connect(city.central, city.platform)
    rows = [
        (day, city.central.org_code, "T1", 950 + (day.day * 37) % 90)
        for day in (D(2023, 5, 1) + dt.timedelta(days=i) for i in range(31))
    ]
    upload(city.platform, rows)
    return city


def status(city):
    return Watch.objects.get(institution=city.central).status


def test_a_drop_flips_once_and_back_when_usual_again(busy):
    AlertRule.objects.create(platform=busy.platform, alert_on_drops=True)
    assert alerts_evaluate(platform=busy.platform, today=D(2023, 6, 1)) == []
    # 2023-06-01: a tenth of its usual.
    upload(busy.platform, [(D(2023, 6, 1), busy.central.org_code, "T1", 100)])
    flips = alerts_evaluate(platform=busy.platform, today=D(2023, 6, 2))
    assert [(f.old_status, f.new_status) for f in flips] == [(Status.OK, Status.DROP)]
    flip = flips[0]
    assert flip.records == 100 and 950 <= flip.usual <= 1040
    # The share as the dashboard states it (the anomaly's own, half up).
    assert (
        flip.share
        == volume_anomalies(
            institutions=Institution.objects.all(),
            platform=busy.platform,
            start=D(2023, 6, 1),
            end=D(2023, 6, 1),
        )[busy.central.pk][0].share
    )
    body = texts.flip_body(Flip.objects.get())
    assert "2023-06-01" in body and str(flip.share) in body
    # The same day again: no second flip.
    assert alerts_evaluate(platform=busy.platform, today=D(2023, 6, 2)) == []
    assert status(busy) == Status.DROP
    # 2023-06-02 back to its usual: back.
    upload(busy.platform, [(D(2023, 6, 2), busy.central.org_code, "T1", 1000)])
    flips = alerts_evaluate(platform=busy.platform, today=D(2023, 6, 3))
    assert [(f.old_status, f.new_status) for f in flips] == [(Status.DROP, Status.OK)]
    assert texts.flip_subject(flips[0]) == gettext(
        "[Interconnection supervision] %(institution)s uploads its usual volume again"
    ) % {"institution": "信阳市中心医院"}


def test_silence_outranks_a_drop(busy):
    AlertRule.objects.create(platform=busy.platform, alert_on_drops=True, silent_after_days=1)
    upload(busy.platform, [(D(2023, 6, 1), busy.central.org_code, "T1", 100)])
    alerts_evaluate(platform=busy.platform, today=D(2023, 6, 2))
    assert status(busy) == Status.DROP
    # Nothing on 06-02: silent (one day, this rule), not a drop.
    flips = alerts_evaluate(platform=busy.platform, today=D(2023, 6, 3))
    assert [(f.old_status, f.new_status) for f in flips] == [(Status.DROP, Status.SILENT)]


def test_without_the_rule_a_drop_is_no_alert(busy):
    upload(busy.platform, [(D(2023, 6, 1), busy.central.org_code, "T1", 100)])
    assert alerts_evaluate(platform=busy.platform, today=D(2023, 6, 2)) == []
    AlertRule.objects.create(platform=busy.platform, alert_on_drops=False)
    assert alerts_evaluate(platform=busy.platform, today=D(2023, 6, 2)) == []
    assert status(busy) == Status.OK
