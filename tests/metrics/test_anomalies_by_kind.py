"""Volume anomalies against days of the same kind (metrics.md): working days (调休
included) and rest days (weekends and public holidays) as the State Council's
calendar sets them. A hospital whose rest days carry half a working day's records
is not flagged every Saturday; one whose Tuesday carries a tenth of its usual is."""

import datetime as dt

import pytest

from apps.core.calendar import calendar_knows, is_working_day
from apps.institutions.models import Institution
from apps.metrics.anomalies import baseline_note, volume_anomalies
from tests.conftest import every_day, upload

pytestmark = pytest.mark.django_db

CENTRAL = "41150000001"
D = dt.date


def level(day: dt.date) -> int:
    """A hospital's day: about 1,000 records on a working day, 500 on a rest day,
    give or take 50."""
    wobble = day.toordinal() * 7919 % 101 - 50
    return (1000 if is_working_day(day) else 500) + wobble


def send(city, first, last, records=level, org=CENTRAL):
    rows = [(d, org, "T1", records(d)) for d in every_day(first, last)]
    upload(city.platform, [r for r in rows if r[3]])


def anomalies(city, start, end):
    found = volume_anomalies(
        institutions=Institution.objects.all(), platform=city.platform, start=start, end=end
    )
    return [(a.day, a.drop) for a in found.get(city.central.pk, [])]


def test_weekends_at_their_own_level_are_no_drop_and_a_tenth_on_a_tuesday_is(city):
    send(
        city,
        D(2023, 1, 1),
        D(2023, 6, 30),
        lambda d: level(d) // 10 if d == D(2023, 5, 16) else level(d),
    )
    assert D(2023, 5, 16).weekday() == 1  # a Tuesday
    assert anomalies(city, D(2023, 4, 1), D(2023, 6, 30)) == [(D(2023, 5, 16), True)]


def test_golden_week_and_its_make_up_saturday(city):
    """2023: 29 September – 6 October are holidays (rest days at the rest level, the
    Friday and the week's weekdays among them); Saturday 7 and Sunday 8 October are
    make-up working days (调休), at the working level: nothing is out of line."""
    assert not is_working_day(D(2023, 10, 2)) and is_working_day(D(2023, 10, 7))
    send(city, D(2023, 6, 1), D(2023, 10, 31))
    assert anomalies(city, D(2023, 9, 1), D(2023, 10, 31)) == []
    # Judged by the weekday alone, the holidays would be drops and 7 October a rise.
    weekday_only = [d for d in every_day(D(2023, 9, 29), D(2023, 10, 8)) if d.weekday() < 5]
    assert any(not is_working_day(d) for d in weekday_only)


def test_a_make_up_saturday_sent_like_a_weekend_is_a_drop(city):
    """调休 makes 7 October 2023 a working day: a hospital sending its weekend level
    that day sent half its usual working day."""
    send(city, D(2023, 6, 1), D(2023, 10, 31), lambda d: 500 if d == D(2023, 10, 7) else level(d))
    assert anomalies(city, D(2023, 10, 1), D(2023, 10, 31)) == [(D(2023, 10, 7), True)]


def test_a_hospital_that_never_uploads_on_rest_days(city):
    """No rest-day baseline: its working days are judged among themselves, and a
    rest day it once sends on is not judged (fewer than 14 rest days before it)."""
    send(
        city,
        D(2023, 1, 1),
        D(2023, 6, 30),
        lambda d: 800 if d == D(2023, 6, 17) else (level(d) if is_working_day(d) else 0),
    )
    assert not is_working_day(D(2023, 6, 17))
    assert anomalies(city, D(2023, 4, 1), D(2023, 6, 30)) == []


def test_a_year_the_calendar_lacks_falls_back_to_monday_to_friday(city):
    year = next(y for y in range(2026, 2100) if not calendar_knows(y))
    assert is_working_day(D(year, 1, 1)) == (D(year, 1, 1).weekday() < 5)
    first, last = D(year, 1, 1), D(year, 6, 30)
    send(city, first, last, lambda d: (1000 if d.weekday() < 5 else 500) + d.toordinal() % 7)
    assert anomalies(city, D(year, 4, 1), last) == []
    note = baseline_note(D(year, 4, 1), last)
    assert str(year) in note and "周一至周五" in note
    assert "周一至周五" not in baseline_note(D(2023, 4, 1), D(2023, 6, 30))


def test_the_demo_judges_weekends_by_weekends_and_keeps_its_real_drop(client, demo, officer):
    """信阳市中心医院 sends every day, less on rest days: in the second quarter none of
    its weekends and holidays is out of line (judged against working days, each was
    a drop); in the fourth, the Tuesday it sent a tenth of its usual is listed."""
    client.force_login(officer)

    def listed(period):
        page = client.get(f"/dashboard/?platform=xinyang&period={period}")
        panel = next(p for p in page.context["panels"] if p.sheet.key == "anomalies")
        return [(str(r[0]), r[2], str(r[4])) for r in panel.sheet.rows]

    central = [row for row in listed("2023Q2") if row[0] == "信阳市中心医院"]
    assert not [row for row in central if not is_working_day(row[1])]
    assert ("信阳市中心医院", D(2023, 11, 14), "突降") in listed("2023Q4")
