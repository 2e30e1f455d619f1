"""indicator_months gives, for each whole month, what indicator_values gives for
that month (the one definition of metrics.md), in one reading: checked on the demo's
year of flows and stocks, every institution, indicator and month, and across a year's
end."""

import datetime as dt

import pytest

from apps.indicators.models import Indicator
from apps.institutions.models import Institution
from apps.metrics.indicators import indicator_months, indicator_values

pytestmark = pytest.mark.django_db


def first_days(start: dt.date, count: int) -> list[dt.date]:
    months, month = [], start
    for _n in range(count):
        months.append(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


@pytest.mark.parametrize("start", [dt.date(2023, 1, 1), dt.date(2023, 7, 1)])
def test_each_month_is_what_indicator_values_gives(full_demo, start):
    platform = full_demo
    institutions = Institution.objects.all()
    indicators = list(Indicator.objects.all())
    assert any(i.is_stock for i in indicators) and any(not i.is_stock for i in indicators)
    months = first_days(start, 12)  # the second runs into 2024, a year without data
    series = indicator_months(
        institutions=institutions, platform=platform, months=months, indicators=indicators
    )
    compared = 0
    for month in months:
        end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        expected = indicator_values(
            institutions=institutions,
            platform=platform,
            start=month,
            end=end,
            indicators=indicators,
        )
        assert series[month] == expected, month
        compared += sum(len(row) for row in expected.values())
    assert compared > 1000


def test_references_of_months_years_and_before(city):
    """A stock's reference in force (a month's, else the year's, else an earlier
    one) and its value carried over months without one; a flow's month reference;
    across a year's end — month by month as indicator_values says."""
    from apps.indicators.services import indicators_import, references_import

    head = "date,org_code,indicator,value\n"
    indicators_import(
        source=(
            head
            + "2022-11-15,41150000001,ehr_basic,900\n"
            + "2023-02-10,41150000001,ehr_basic,1000\n"
            + "2023-02-11,41150000001,outpatient_visits,40\n"
            + "2023-05-03,41150000001,ehr_basic,1100\n"
            + "2023-05-04,41150000001,outpatient_visits,60\n"
        ).encode(),
        platform=city.platform,
    )
    references_import(
        source=(
            "period,org_code,indicator,value,source\n"
            + "2022,41150000001,ehr_basic,5000,常住人口\n"
            + "2023,41150000001,ehr_basic,6000,常住人口\n"
            + "2023-04,41150000001,ehr_basic,6100,常住人口\n"
            + "2023-02,41150000001,outpatient_visits,80,卫生统计直报\n"
            + "2023-05,41150000001,outpatient_visits,50,卫生统计直报\n"
        ).encode(),
        platform=city.platform,
    )
    indicators = list(Indicator.objects.filter(code__in=["ehr_basic", "outpatient_visits"]))
    institutions = Institution.objects.all()
    months = first_days(dt.date(2022, 12, 1), 8)
    series = indicator_months(
        institutions=institutions, platform=city.platform, months=months, indicators=indicators
    )
    for month in months:
        end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        expected = indicator_values(
            institutions=institutions,
            platform=city.platform,
            start=month,
            end=end,
            indicators=indicators,
        )
        assert series[month] == expected, month
    central = city.central.pk
    assert series[dt.date(2023, 1, 1)][central]["ehr_basic"] == (900, 6000)  # the year's
    assert series[dt.date(2023, 4, 1)][central]["ehr_basic"] == (1000, 6100)  # April's
    assert series[dt.date(2023, 6, 1)][central]["ehr_basic"] == (1100, 6100)  # carried
    assert series[dt.date(2023, 5, 1)][central]["outpatient_visits"] == (60, 50)
