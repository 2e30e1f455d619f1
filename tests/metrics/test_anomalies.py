"""Volume anomalies (metrics.md, 异常波动): the modified z-score of a day's records
against the institution's own previous 28 upload days, at its edges — fewer than 14
days of baseline, a MAD of zero, a baseline that lies before the period, days without
uploads — and where officers and hospitals see them."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.calendar import is_working_day
from apps.institutions.models import Institution
from apps.metrics.anomalies import THRESHOLD, _beyond_threshold, modified_z, volume_anomalies
from tests.conftest import connect, upload

pytestmark = pytest.mark.django_db

CENTRAL, HC = "41150000001", "41152600001"


def working_days(first: dt.date, count: int) -> list[dt.date]:
    """The first `count` working days from `first` (the State Council's calendar)."""
    found, day = [], first
    while len(found) < count:
        if is_working_day(day):
            found.append(day)
        day += dt.timedelta(days=1)
    return found


def days(first: dt.date, values: list[int], org=CENTRAL):
    """`values` on the working days from `first` on (0: no upload that day)."""
    return [
        (day, org, "T1", v)
        for day, v in zip(working_days(first, len(values)), values, strict=True)
        if v
    ]


def found(city, start, end):
    return volume_anomalies(
        institutions=Institution.objects.all(), platform=city.platform, start=start, end=end
    )


def test_the_formula_at_its_edges():
    usual = [100, 101, 102, 103, 104] * 6  # median 102, MAD 1
    median, z = modified_z(10, usual[:28])
    assert median == 102 and z == Decimal("0.6745") * (10 - 102)
    assert modified_z(10, usual[:13]) is None  # fewer than 14 previous upload days
    assert modified_z(10, usual[:14]) is not None
    assert modified_z(10, [100] * 28) is None  # MAD of zero: not computed
    # Only the last 28 count: a long-gone level does not.
    assert modified_z(102, [5000] * 40 + usual[:28])[1] == 0


def test_a_drop_and_a_rise_against_the_baseline_before_the_period(city):
    march = dt.date(2023, 3, 1)
    usual = [100, 101, 102, 103, 104] * 6  # 30 working days
    # Then a tenth of the usual, two working days without uploads (a silence, not
    # judged), a rise.
    upload(city.platform, days(march, usual + [10, 0, 0, 102, 108, 104]))
    span = working_days(march, 36)
    judged = span[30:]
    result = found(city, judged[0], judged[-1])[city.central.pk]
    assert [(a.day, a.drop) for a in result] == [(judged[0], True), (judged[4], False)]
    drop = result[0]
    assert drop.records == 10 and drop.median == 102 and drop.z == Decimal("-62.05")
    assert drop.share == Decimal("9.8") and drop.working_day
    # 108 against the 28 upload days before it (the drop among them): median 102,
    # MAD 1 → 0.6745 × 6 = 4.05 > 3.5.
    assert result[1].z == Decimal("4.05")
    # The baseline itself: its first 14 days have none, the rest are ordinary.
    assert city.central.pk not in found(city, span[0], span[29])


def test_too_little_history_or_a_flat_baseline_finds_nothing(city):
    april = dt.date(2023, 4, 1)
    upload(city.platform, days(april, [100] * 20 + [3]))  # flat: MAD 0
    upload(city.platform, days(april, [100, 101, 102] * 4 + [1], org=HC))  # 12 days before
    assert found(city, april, dt.date(2023, 6, 30)) == {}


def test_the_dashboard_and_the_hospital_see_the_drop(client, city, users):
    connect(city.central, city.platform)
    april = dt.date(2023, 4, 1)
    q2 = [d for d in working_days(april, 70) if d <= dt.date(2023, 6, 30)]
    usual = [100 + n % 5 for n in range(len(q2))]
    usual[q2.index(dt.date(2023, 5, 31))] = 9
    upload(city.platform, days(april, usual))
    client.force_login(users.alice)
    page = client.get(reverse("dashboard"), {"period": "2023Q2"})
    panel = next(p for p in page.context["panels"] if p.sheet.key == "anomalies")
    assert [(str(r[0]), r[2], r[3], str(r[4])) for r in panel.sheet.rows] == [
        ("信阳市中心医院", dt.date(2023, 5, 31), "工作日", "突降")
    ]
    assert "同类日" in panel.sheet.note
    client.force_login(users.dana)  # 潢川's staff see nothing of the city's hospital
    assert (
        client.get(reverse("institution-detail", args=[CENTRAL]), {"period": "2023Q2"}).status_code
        == 404
    )
    client.force_login(users.alice)
    page = client.get(reverse("institution-detail", args=[CENTRAL]), {"period": "2023Q2"})
    assert [r[0] for r in page.context["anomalies"].rows] == [dt.date(2023, 5, 31)]
    fixes = [f.text for f in page.context["fixes"] if f.kind == "anomaly"]
    assert len(fixes) == 1 and "2023-05-31" in fixes[0] and "9" in fixes[0]


def test_the_integer_screen_lets_every_outlier_through():
    """volume_anomalies screens each day in integers before the exact Decimal
    z-score: over random baselines (odd and even lengths, halves in the median and
    the MAD, flat stretches) every day modified_z finds beyond 3.5 passes the screen,
    and a day at exactly 3.5 passes too (the Decimal decides)."""
    rng = random.Random(2023)
    outliers = 0
    for _ in range(20_000):
        baseline = [
            rng.choice([rng.randint(0, 20), rng.randint(90, 110), 100])
            for _ in range(rng.randint(10, 30))
        ]
        x = rng.randint(0, 200)
        scored = modified_z(x, baseline)
        if scored is not None and abs(scored[1]) > THRESHOLD:
            outliers += 1
            assert _beyond_threshold(x, baseline), (x, baseline)
    assert outliers > 1000
    # median 10, MAD 1: z = 0.6745 × (x − 10): beyond 3.5 from x = 16 (z 4.047).
    flat = [9, 10, 11] * 5
    assert not _beyond_threshold(15, flat) and _beyond_threshold(16, flat)
    assert not _beyond_threshold(16, [10] * 15)  # MAD 0: not computed
    assert not _beyond_threshold(16, flat[:13])  # fewer than 14 days


def test_the_latest_anomalies_are_those_of_the_whole_period_from_the_end(city):
    """latest=N judges the days from the last one back until N are found: every
    anomaly of those days, the same as the whole period's (the dashboard's panel)."""
    march = dt.date(2023, 3, 1)
    usual = [100, 101, 102, 103, 104] * 6
    upload(city.platform, days(march, usual + [10, 102, 103, 9, 101, 300]))
    upload(city.platform, days(march, usual + [101, 102, 5, 103, 104, 400], org=HC))
    span = working_days(march, 36)
    judged, end = span[30:], span[-1]
    whole = found(city, judged[0], end)
    assert [a.day for a in whole[city.central.pk]] == [judged[0], judged[3], judged[5]]
    assert [a.day for a in whole[city.hc_people.pk]] == [judged[2], judged[5]]

    def latest(n):
        result = volume_anomalies(
            institutions=Institution.objects.all(),
            platform=city.platform,
            start=judged[0],
            end=end,
            latest=n,
        )
        return sorted((a.day, a.institution_id, a.z) for v in result.values() for a in v)

    everything = sorted((a.day, a.institution_id, a.z) for v in whole.values() for a in v)
    assert latest(1) == latest(2) == [x for x in everything if x[0] == end]  # the whole day
    assert latest(3) == [x for x in everything if x[0] >= judged[3]]
    assert latest(10) == everything  # fewer in the last two weeks: the whole period
    # A period whose last two weeks hold enough reads only those.
    early = volume_anomalies(
        institutions=Institution.objects.all(),
        platform=city.platform,
        start=span[0],
        end=end,
        latest=2,
    )
    # The same anomalies, scores and medians as the whole period's on that day.
    whole_early = found(city, span[0], end)
    assert sorted(
        (a.day, a.institution_id, a.z, a.median) for v in early.values() for a in v
    ) == sorted(
        (a.day, a.institution_id, a.z, a.median)
        for v in whole_early.values()
        for a in v
        if a.day == end
    )
    assert {a.institution_id for v in early.values() for a in v} == {
        city.central.pk,
        city.hc_people.pk,
    }


def test_the_baselines_read_in_widening_windows_are_the_whole_history_s(city):
    """With the scope's institutions given, each one's last upload days before the
    period are read in widening windows; they are the same as one read of the whole
    history, for an institution uploading every day (found in the first window),
    every third day (the second) and every ninth (only in the whole history)."""
    from apps.metrics.anomalies import LOOK_BACK, _series
    from apps.uploads.models import DailyTotal

    start, gs = dt.date(2023, 6, 1), "41152200001"
    rows = []
    for n in range(1, 1100):
        day = start - dt.timedelta(days=n)
        rows.append((day, CENTRAL, "T1", 100 + n % 7))
        if n % 3 == 0:
            rows.append((day, HC, "T1", 50 + n % 5))
        if n % 9 == 0:
            rows.append((day, gs, "T1", 20 + n % 4))
    upload(city.platform, rows)
    uploaded = DailyTotal.objects.filter(platform=city.platform, records__gt=0)
    ids = list(Institution.objects.values_list("pk", flat=True))
    first_day = start - dt.timedelta(days=1099)
    widening = _series(uploaded, start, start, ids, first_day=first_day)
    whole = _series(uploaded, start, start)
    assert widening == whole
    assert _series(uploaded, start, start, ids) == whole  # the first day unknown
    for org, every in ((CENTRAL, 1), (HC, 3), (gs, 9)):
        pk = Institution.objects.get(org_code=org).pk
        assert len(widening[pk]) == LOOK_BACK
        assert widening[pk][0][0] == start - dt.timedelta(days=LOOK_BACK * every)


def test_no_window_is_read_past_the_one_that_holds_the_whole_history(city, monkeypatch):
    """A platform with less history than the first window reads its baselines
    once (a new deployment's first months), not once per window."""
    from apps.metrics import anomalies
    from apps.uploads.models import DailyTotal

    start = dt.date(2023, 6, 1)
    upload(city.platform, [(start - dt.timedelta(days=n), CENTRAL, "T1", 9) for n in range(1, 60)])
    reads = []
    real = anomalies._last_upload_days
    monkeypatch.setattr(anomalies, "_last_upload_days", lambda *a: reads.append(1) or real(*a))
    uploaded = DailyTotal.objects.filter(platform=city.platform, records__gt=0)
    ids = list(Institution.objects.values_list("pk", flat=True))
    series = anomalies._series(uploaded, start, start, ids, first_day=start - dt.timedelta(59))
    assert len(reads) == 1 and len(series[city.central.pk]) == 59
    reads.clear()
    anomalies._series(uploaded, start, start, ids, first_day=start - dt.timedelta(days=400))
    assert len(reads) == 3  # 98 days, 392, then the whole history
