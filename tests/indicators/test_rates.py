"""Upload rates (上传率) exactly as metrics.md defines them, at their edges: flows
summed over whole and partial months, stocks the latest value on or before the end
(before the period too), the reference of the period (sum of monthly references,
a yearly one for exactly one year, a month over its year for stocks), a zero
reference, a rate over 100, values after the end. Everything loaded from files in
the documented formats, through the importers."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.indicators.models import Indicator, MonthlyIndicator
from apps.indicators.services import indicators_import, references_import
from apps.institutions.models import Institution
from apps.metrics.indicators import indicator_values, upload_rate

D = dt.date
CENTRAL = "41150000001"


def load(city, values: str, references: str = ""):
    indicators_import(
        source=("date,org_code,indicator,value\n" + values).encode(), platform=city.platform
    )
    if references:
        references_import(
            source=("period,org_code,indicator,value,source\n" + references).encode(),
            platform=city.platform,
        )


def rates(city, start, end, *codes):
    values = indicator_values(
        institutions=Institution.objects.filter(org_code=CENTRAL),
        platform=city.platform,
        start=start,
        end=end,
        indicators=[Indicator.objects.get(code=c) for c in codes],
    )
    return values[city.central.pk]


def test_the_rounding_is_half_up_to_two_decimals_and_empty_without_a_reference():
    assert upload_rate(871187, 2574430) == Decimal("33.84")
    assert upload_rate(1, 8) == Decimal("12.50")
    assert upload_rate(1, 800) == Decimal("0.13")  # 0.125 → 0.13, not the banker's 0.12
    assert upload_rate(5, None) is None and upload_rate(5, 0) is None
    assert upload_rate(None, 10) is None


def test_a_flow_over_whole_and_partial_months(city):
    days = "".join(
        f"2023-{m:02d}-{d:02d},{CENTRAL},outpatient_visits,10\n"
        for m, last in ((4, 30), (5, 31), (6, 30))
        for d in range(1, last + 1)
    )
    load(
        city,
        days,
        f"2023-04,{CENTRAL},outpatient_visits,300,卫生统计直报\n2023-05,{CENTRAL},outpatient_visits,400,卫生统计直报\n",
    )
    assert MonthlyIndicator.objects.filter(institution=city.central).count() == 3
    april_may = rates(city, D(2023, 4, 1), D(2023, 5, 31), "outpatient_visits")["outpatient_visits"]
    assert (april_may.value, april_may.reference, april_may.rate) == (610, 700, Decimal("87.14"))
    # June has no monthly reference: the quarter has none, and no rate.
    quarter = rates(city, D(2023, 4, 1), D(2023, 6, 30), "outpatient_visits")["outpatient_visits"]
    assert (quarter.value, quarter.reference, quarter.rate) == (910, None, None)
    # A partial month: the days are summed, but it has no reference.
    part = rates(city, D(2023, 4, 5), D(2023, 5, 10), "outpatient_visits")["outpatient_visits"]
    assert (part.value, part.reference) == (260 + 100, None)
    # Nothing uploaded: a flow is 0, not empty.
    empty = rates(city, D(2023, 1, 1), D(2023, 1, 31), "discharges")["discharges"]
    assert (empty.value, empty.rate) == (0, None)


def test_a_year_uses_its_yearly_reference_when_its_months_are_not_all_there(city):
    load(
        city,
        f"2023-03-15,{CENTRAL},discharges,50\n2023-11-02,{CENTRAL},discharges,70\n",
        f"2023,{CENTRAL},discharges,100,卫生统计直报\n2023-03,{CENTRAL},discharges,60,卫生统计直报\n",
    )
    year = rates(city, D(2023, 1, 1), D(2023, 12, 31), "discharges")["discharges"]
    assert (year.value, year.reference, year.rate, year.over_reference) == (
        120,
        100,
        Decimal("120.00"),
        True,
    )
    march = rates(city, D(2023, 3, 1), D(2023, 3, 31), "discharges")["discharges"]
    assert (march.reference, march.rate, march.over_reference) == (60, Decimal("83.33"), False)
    # A half-year is whole months but not a year: without all six monthly references, none.
    half = rates(city, D(2023, 1, 1), D(2023, 6, 30), "discharges")["discharges"]
    assert half.reference is None


def test_a_stock_is_its_latest_value_on_or_before_the_end(city):
    load(
        city,
        f"2023-02-20,{CENTRAL},ehr_basic,5000\n"
        f"2023-04-10,{CENTRAL},ehr_basic,5200\n"
        f"2023-04-28,{CENTRAL},ehr_basic,5300\n"
        f"2023-07-01,{CENTRAL},ehr_basic,9999\n",  # after the end: not read
        f"2023,{CENTRAL},ehr_basic,8000,常住人口\n2023-04,{CENTRAL},ehr_basic,6000,常住人口\n",
    )
    q2 = rates(city, D(2023, 4, 1), D(2023, 6, 30), "ehr_basic")["ehr_basic"]
    # The latest on or before 06-30 is 04-28's; the reference in force on 06-30 is
    # April's (it starts later than the year's).
    assert (q2.value, q2.reference, q2.rate) == (5300, 6000, Decimal("88.33"))
    # A value from before the period stands when the period has none.
    march = rates(city, D(2023, 3, 1), D(2023, 3, 31), "ehr_basic")["ehr_basic"]
    assert (march.value, march.reference) == (5000, 8000)
    # Mid-month end: only the days up to it.
    early = rates(city, D(2023, 4, 1), D(2023, 4, 20), "ehr_basic")["ehr_basic"]
    assert early.value == 5200
    # Before any value: empty, not 0.
    january = rates(city, D(2023, 1, 1), D(2023, 1, 31), "ehr_basic")["ehr_basic"]
    assert (january.value, january.rate) == (None, None)


def test_a_month_reference_outranks_its_year_only_for_stocks_at_the_same_start(city):
    load(
        city,
        f"2023-01-31,{CENTRAL},ehr_diabetes,90\n",
        f"2023,{CENTRAL},ehr_diabetes,300,常住人口\n2023-01,{CENTRAL},ehr_diabetes,100,常住人口\n",
    )
    january = rates(city, D(2023, 1, 1), D(2023, 1, 31), "ehr_diabetes")["ehr_diabetes"]
    assert (january.reference, january.rate) == (100, Decimal("90.00"))


def test_a_zero_reference_gives_no_rate(city):
    load(city, f"2023-05-02,{CENTRAL},tele_ecg,4\n", f"2023-05,{CENTRAL},tele_ecg,0,远程心电平台\n")
    may = rates(city, D(2023, 5, 1), D(2023, 5, 31), "tele_ecg")["tele_ecg"]
    assert (may.value, may.reference, may.rate, may.over_reference) == (4, 0, None, False)


def test_revised_values_keep_the_monthly_roll_up_right(city):
    load(
        city,
        f"2023-05-02,{CENTRAL},outpatient_visits,10\n2023-05-09,{CENTRAL},outpatient_visits,20\n",
    )
    load(city, f"2023-05-09,{CENTRAL},outpatient_visits,5\n")
    month = MonthlyIndicator.objects.get(institution=city.central)
    assert (month.total, month.last_day, month.last_value) == (15, D(2023, 5, 9), 5)
    may = rates(city, D(2023, 5, 1), D(2023, 5, 31), "outpatient_visits")["outpatient_visits"]
    assert may.value == 15


@pytest.mark.parametrize(
    "row, problem",
    [
        ("2023-13,{c},outpatient_visits,1,x", "无法识别的期间"),
        ("1999,{c},outpatient_visits,1,x", "无法识别的期间"),
        ("2023-05,{c},no_such_indicator,1,x", "未知的指标"),
        ("2023-05,{c},outpatient_visits,-1,x", "应为 0 或正整数"),
    ],
)
def test_a_bad_reference_row_refuses_the_file(city, row, problem):
    from apps.core.tabular import FileRefused

    with pytest.raises(FileRefused) as refused:
        references_import(
            source=(
                "period,org_code,indicator,value,source\n" + row.format(c=CENTRAL) + "\n"
            ).encode(),
            platform=city.platform,
        )
    assert problem in " ".join(refused.value.problems)
