"""The year rows (IndicatorYear) the indicators are read from: on random values and
references over two year ends, loaded and revised through the storage services,
every period — whole and partial months, quarters, years, across a year's end,
before and after the data — gives what metrics.md says, computed here straight from
the daily values and the references; and the rows stay what a rebuild from the
roll-up would make of them."""

import datetime as dt
import random

from django.forms.models import model_to_dict

from apps.indicators.models import (
    DailyIndicator,
    Indicator,
    IndicatorYear,
    MonthlyIndicator,
    Reference,
)
from apps.indicators.services import (
    IndicatorRow,
    indicators_import,
    indicators_replace_day,
    references_import,
)
from apps.indicators.years import years_rebuild
from apps.institutions.models import Institution
from apps.metrics.indicators import indicator_values, upload_rate

D = dt.date
CODES = ("outpatient_visits", "discharges", "ehr_basic", "ehr_diabetes")
FIRST, LAST = D(2021, 11, 1), D(2023, 2, 28)


def month_end(day):
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def months(start, end):
    month = start
    while month <= end:
        yield month
        month = month_end(month) + dt.timedelta(days=1)


def load_random(city, rng):
    insts = [city.central, city.hc_people, city.gs_people]
    lines, refs = [], []
    for inst in insts:
        for code in CODES:
            day = FIRST + dt.timedelta(days=rng.randint(0, 60))
            while day <= LAST:
                lines.append(f"{day},{inst.org_code},{code},{rng.randint(0, 900)}")
                day += dt.timedelta(days=rng.choice((1, 1, 2, 9, 40)))
            # Stocks' monthly references sparse: a year's is often the one in force.
            share = 0.25 if code.startswith("ehr") else 0.7
            for month in months(FIRST, LAST):
                if rng.random() < share:
                    refs.append(f"{month:%Y-%m},{inst.org_code},{code},{rng.randint(0, 20000)},x")
            for year in (2021, 2022, 2023):
                if rng.random() < 0.6:
                    refs.append(f"{year},{inst.org_code},{code},{rng.randint(1, 200000)},x")
    indicators_import(
        source=("date,org_code,indicator,value\n" + "\n".join(lines)).encode(),
        platform=city.platform,
    )
    references_import(
        source=("period,org_code,indicator,value,source\n" + "\n".join(refs)).encode(),
        platform=city.platform,
    )


def expected(platform, inst, indicator, start, end):
    """metrics.md, from the daily values and the references themselves."""
    days = DailyIndicator.objects.filter(platform=platform, institution=inst, indicator=indicator)
    references = Reference.objects.filter(platform=platform, institution=inst, indicator=indicator)
    if indicator.is_stock:
        latest = days.filter(day__lte=end).order_by("-day").first()
        value = latest.value if latest else None
        in_force = sorted(
            references.filter(start__lte=end), key=lambda r: (r.start, r.span == "month")
        )
        reference = in_force[-1].value if in_force else None
    else:
        value = sum(d.value for d in days.filter(day__gte=start, day__lte=end))
        reference = None
        if start.day == 1 and end == month_end(end):
            wanted = list(months(start, end))
            monthly = {r.start: r.value for r in references.filter(span="month")}
            if all(m in monthly for m in wanted):
                reference = sum(monthly[m] for m in wanted)
            elif len(wanted) == 12 and start.month == 1:
                year = references.filter(span="year", start=start).first()
                reference = year.value if year else None
    return value, reference, upload_rate(value, reference)


def periods(rng):
    yield D(2022, 1, 1), D(2022, 12, 31)  # a year
    yield D(2021, 12, 1), D(2022, 2, 28)  # whole months across the year's end
    yield D(2022, 10, 1), D(2022, 12, 31)  # a quarter
    yield D(2021, 12, 15), D(2022, 1, 10)  # partial months across it
    yield D(2023, 1, 1), D(2023, 1, 15)  # a stock's latest value in the year before
    yield D(2020, 1, 1), D(2020, 12, 31)  # before any value
    yield D(2023, 6, 1), D(2023, 6, 30)  # after the last
    yield D(2024, 3, 1), D(2024, 3, 31)  # a year without a cube: the stocks look back
    for _ in range(25):
        start = FIRST - dt.timedelta(days=40) + dt.timedelta(days=rng.randint(0, 520))
        end = start + dt.timedelta(days=rng.randint(0, 400))
        if rng.random() < 0.5:
            start, end = start.replace(day=1), month_end(end)
        yield start, end


def year_rows():
    return {
        (y.institution_id, y.indicator_id, y.year): model_to_dict(y, exclude=["id"])
        for y in IndicatorYear.objects.all()
    }


def assert_rows_are_rebuilt_ones(platform):
    stored = year_rows()
    keys = {(m.institution_id, m.month.year) for m in MonthlyIndicator.objects.all()}
    keys |= {(r.institution_id, r.start.year) for r in Reference.objects.all()}
    years_rebuild(
        year_model=IndicatorYear,
        monthly_model=MonthlyIndicator,
        reference_model=Reference,
        platform_id=platform.pk,
        keys=keys,
    )
    assert stored == year_rows()
    pairs = {
        (m.institution_id, m.indicator_id, m.month.year) for m in MonthlyIndicator.objects.all()
    }
    pairs |= {(r.institution_id, r.indicator_id, r.start.year) for r in Reference.objects.all()}
    assert stored.keys() == pairs


def test_every_period_read_from_the_year_rows_is_what_metrics_md_says(city):
    rng = random.Random(13)
    load_random(city, rng)
    # A night's revision: a day re-published with values changed, added and gone.
    day = D(2022, 12, 31)
    kept = DailyIndicator.objects.filter(platform=city.platform, day=day, institution=city.central)
    rows = [
        IndicatorRow(day, city.central.org_code, v.indicator.code, v.value + 7)
        for v in kept.select_related("indicator")[:1]
    ] + [IndicatorRow(day, city.gs_people.org_code, "discharges", 5)]
    indicators_replace_day(
        platform=city.platform,
        day=day,
        rows=rows,
        institution_ids={i.org_code: i.pk for i in Institution.objects.all()},
        indicator_ids=dict(Indicator.objects.values_list("code", "pk")),
    )
    assert_rows_are_rebuilt_ones(city.platform)
    indicators = list(Indicator.objects.filter(code__in=CODES))
    insts = list(Institution.objects.all())
    checked = 0
    for start, end in periods(rng):
        asked = {
            "institutions": Institution.objects.all(),
            "platform": city.platform,
            "start": start,
            "end": end,
            "indicators": indicators,
        }
        values = indicator_values(**asked)
        # Read again, from the cache (which keeps them packed): the same values.
        again = indicator_values(**asked)
        assert again == values and again is not values
        for inst in insts:
            for indicator in indicators:
                got = values[inst.pk][indicator.code]
                want = expected(city.platform, inst, indicator, start, end)
                assert (got.value, got.reference, got.rate) == want, (start, end, inst.org_code)
                checked += 1
    assert checked == 33 * 3 * 4


def test_a_replaced_reference_and_a_deleted_month_reach_the_year_row(city):
    org = city.central.org_code
    indicators_import(
        source=f"date,org_code,indicator,value\n2023-05-31,{org},ehr_basic,50\n".encode(),
        platform=city.platform,
    )
    references_import(
        source=f"period,org_code,indicator,value,source\n2023-05,{org},ehr_basic,100,x\n".encode(),
        platform=city.platform,
    )
    ehr = Indicator.objects.get(code="ehr_basic")

    def may():
        return indicator_values(
            institutions=Institution.objects.filter(pk=city.central.pk),
            platform=city.platform,
            start=D(2023, 5, 1),
            end=D(2023, 5, 31),
            indicators=[ehr],
        )[city.central.pk]["ehr_basic"]

    assert (may().value, may().reference, may().rate) == (50, 100, upload_rate(50, 100))
    references_import(
        source=f"period,org_code,indicator,value,source\n2023-05,{org},ehr_basic,80,x\n".encode(),
        platform=city.platform,
    )
    assert may().reference == 80
    indicators_replace_day(
        platform=city.platform,
        day=D(2023, 5, 31),
        rows=[],
        institution_ids={org: city.central.pk},
        indicator_ids={"ehr_basic": ehr.pk},
    )
    assert may().value is None
    row = model_to_dict(IndicatorYear.objects.get(institution=city.central, year=2023))
    assert {name: value for name, value in row.items() if value is not None} == {
        "id": row["id"],
        "platform": city.platform.pk,
        "institution": city.central.pk,
        "indicator": ehr.pk,
        "year": 2023,
        "r5": 80,
    }


def test_no_indicator_asked_gives_every_institution_an_empty_row(city):
    load_random(city, random.Random(1))
    values = indicator_values(
        institutions=Institution.objects.all(),
        platform=city.platform,
        start=D(2022, 1, 1),
        end=D(2022, 3, 31),
        indicators=[],
    )
    assert values == {inst.pk: {} for inst in Institution.objects.all()}


def test_values_alone_keep_the_year_rows_as_a_rebuild_would(city):
    org = city.central.org_code
    indicators_import(
        source=(
            "date,org_code,indicator,value\n"
            f"2023-05-31,{org},ehr_basic,50\n2023-05-02,{org},outpatient_visits,10\n"
            f"2024-01-05,{org},outpatient_visits,3\n"
        ).encode(),
        platform=city.platform,
    )
    assert_rows_are_rebuilt_ones(city.platform)
    assert IndicatorYear.objects.filter(year=2024).count() == 1
    # The year's only value re-published away: its row goes with it.
    indicators_replace_day(
        platform=city.platform,
        day=D(2024, 1, 5),
        rows=[],
        institution_ids={org: city.central.pk},
        indicator_ids=dict(Indicator.objects.values_list("code", "pk")),
    )
    assert_rows_are_rebuilt_ones(city.platform)
    assert not IndicatorYear.objects.filter(year=2024).exists()
