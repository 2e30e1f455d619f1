"""Data quality (metrics.md, 数据质量): rules and daily results from files, through
the one storage service and its monthly roll-up; rule pass rates, dimension rates
and the score at their edges; the metrics API's quality=1."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.core.tabular import FileRefused
from apps.metrics.definitions import Definitions
from apps.metrics.quality import Counts, pass_rate, quality_score, quality_total, quality_values
from apps.quality.models import DailyQuality, MonthlyQuality, QualityRule
from apps.quality.services import quality_import, quality_rules_import
from tests.conftest import upload

pytestmark = pytest.mark.django_db

RULES = (
    "规则代码,规则名称,维度,表代码,说明\n"
    "OPV_ID,门诊身份证号不为空,完整性,T1,\n"
    "OPV_SEX,性别符合值域,规范性,T1,GB/T 2261.1\n"
    "IPV_DATES,出院日期不早于入院日期,consistency,T2,\n"
    "LAB_LINK,检验报告关联就诊,关联性,,跨表\n"
)
CENTRAL, HC = "41150000001", "41152600001"


def results(*rows) -> bytes:
    return ("date,org_code,rule,checked,failed\n" + "".join(f"{r}\n" for r in rows)).encode()


@pytest.fixture
def rules(city):
    quality_rules_import(source=RULES.encode(), platform=city.platform)
    return city


def values(city, start, end, **kwargs):
    from apps.institutions.models import Institution

    return quality_values(
        institutions=Institution.objects.all(),
        platform=city.platform,
        start=start,
        end=end,
        **kwargs,
    )


def test_rules_import_names_dimensions_in_either_language_and_again_changes_nothing(rules):
    assert dict(QualityRule.objects.values_list("code", "dimension")) == {
        "OPV_ID": "completeness",
        "OPV_SEX": "conformance",
        "IPV_DATES": "consistency",
        "LAB_LINK": "linkage",
    }
    again = quality_rules_import(source=RULES.encode(), platform=rules.platform)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    changed = quality_rules_import(
        source=RULES.replace("跨表", "检验与就诊").encode(), platform=rules.platform
    )
    assert changed.updated == 1
    assert changed.changed_rows[0].changes == [("说明", "跨表", "检验与就诊")]


def test_a_bad_rules_file_is_refused_row_by_row_and_writes_nothing(city):
    bad = RULES + "BAD CODE,名称,完整性,T1,\nOK2,,质量,T1,\n"
    with pytest.raises(FileRefused) as refused:
        quality_rules_import(source=bad.encode(), platform=city.platform)
    problems = refused.value.problems
    assert any(p.startswith("第 6 行") and "BAD CODE" in p for p in problems)
    assert any(p.startswith("第 7 行") and "名称" in p for p in problems)
    assert any(p.startswith("第 7 行") and "质量" in p for p in problems)
    assert not QualityRule.objects.exists()


def test_a_bad_results_file_is_refused_whole(rules):
    bad = results(
        f"2023-05-01,{CENTRAL},OPV_ID,100,3",
        f"2023-05-01,{CENTRAL},OPV_SEX,100,101",
        f"2023-05-02,{CENTRAL},OPV_ID,-1,0",
        f"2023-05-01,{CENTRAL},OPV_ID,90,0",
    )
    with pytest.raises(FileRefused) as refused:
        quality_import(source=bad, platform=rules.platform)
    text = "\n".join(refused.value.problems)
    assert "第 3 行" in text and "101" in text  # more failed than checked
    assert "第 4 行" in text and "-1" in text
    assert "第 5 行" in text and "第 2 行" in text  # repeats row 2
    with pytest.raises(FileRefused) as unknown:
        quality_import(source=results(f"2023-05-01,{CENTRAL},NO_SUCH,1,0"), platform=rules.platform)
    assert "NO_SUCH" in unknown.value.problems[0]
    assert not DailyQuality.objects.exists()


def test_the_roll_up_follows_every_write_and_a_later_file_wins(rules):
    quality_import(
        source=results(
            f"2023-04-30,{CENTRAL},OPV_ID,100,10",
            f"2023-05-01,{CENTRAL},OPV_ID,200,20",
            f"2023-05-31,{CENTRAL},OPV_ID,300,30",
        ),
        platform=rules.platform,
    )
    revised = quality_import(
        source=results(f"2023-05-31,{CENTRAL},OPV_ID,300,3"), platform=rules.platform
    )
    assert (revised.created, revised.updated) == (0, 1)
    months = {
        m.month: (m.checked, m.failed)
        for m in MonthlyQuality.objects.filter(rule__code="OPV_ID", institution__org_code=CENTRAL)
    }
    assert months == {dt.date(2023, 4, 1): (100, 10), dt.date(2023, 5, 1): (500, 23)}
    # Each month's roll-up row is the sum of its daily rows.
    for month, (checked, failed) in months.items():
        days = DailyQuality.objects.filter(
            rule__code="OPV_ID", day__year=month.year, day__month=month.month
        )
        assert (sum(d.checked for d in days), sum(d.failed for d in days)) == (checked, failed)


def test_rates_over_whole_and_partial_months_sum_counts_not_rates(rules):
    quality_import(
        source=results(
            f"2023-04-30,{CENTRAL},OPV_ID,1000,1",  # before the period
            f"2023-05-01,{CENTRAL},OPV_ID,100,10",
            f"2023-05-20,{CENTRAL},OPV_ID,300,0",
            f"2023-06-02,{CENTRAL},OPV_ID,3,3",  # a partial month
            f"2023-06-03,{CENTRAL},OPV_ID,50,0",  # after the end
            f"2023-05-20,{CENTRAL},OPV_SEX,7,7",  # all failed
        ),
        platform=rules.platform,
    )
    quality = values(rules, dt.date(2023, 5, 1), dt.date(2023, 6, 2))
    central = quality[rules.central.pk]
    assert central.rules["OPV_ID"] == Counts(403, 13)
    assert central.rules["OPV_ID"].rate == Decimal("96.77")  # 390/403, not a mean of days
    assert central.rate("completeness") == Decimal("96.77")
    assert central.rate("conformance") == Decimal("0.00")
    assert central.rate("consistency") is None and central.rate("linkage") is None
    # Equal weights renormalised over the two dimensions with a rate.
    assert central.score == (Decimal(390) / 403 * 100 / 2).quantize(Decimal("0.01"), ROUND_HALF_UP)
    nothing = quality[rules.hc_people.pk]
    assert not nothing.checked and nothing.score is None
    assert all(nothing.rate(d) is None for d in nothing.dimensions)


def test_the_score_weighs_dimensions_and_rounds_once():
    dims = {
        "completeness": Counts(3, 1),  # 66.666…
        "conformance": Counts(3, 2),  # 33.333…
        "consistency": Counts(),
        "linkage": Counts(),
        "timeliness": Counts(),
    }
    assert quality_score(dims) == Decimal("50.00")
    weighted = Definitions(quality_weight_completeness=Decimal("3"))
    # (3 × 66.667 + 33.333) / 4 = 58.333…, from the unrounded rates
    assert quality_score(dims, weighted) == Decimal("58.33")
    zero = Definitions(quality_weight_completeness=Decimal("0"), quality_weight_conformance=0)
    assert quality_score(dims, zero) is None
    assert quality_score({d: Counts() for d in dims}) is None
    assert pass_rate(0, 0) is None and pass_rate(8, 0) == Decimal("100.00")
    assert pass_rate(3, 1) == Decimal("66.67")  # half up


def test_a_groups_quality_sums_its_institutions_counts(rules):
    quality_import(
        source=results(
            f"2023-05-01,{CENTRAL},OPV_ID,100,0",
            f"2023-05-01,{HC},OPV_ID,900,900",
        ),
        platform=rules.platform,
    )
    quality = values(rules, dt.date(2023, 5, 1), dt.date(2023, 5, 31))
    total = quality_total(quality.values())
    assert total.rate("completeness") == Decimal("10.00")  # 100/1000, not (100+0)/2


def test_the_commands_import_the_files(rules, tmp_path):
    path = tmp_path / "quality.csv"
    path.write_bytes(results(f"2023-05-01,{CENTRAL},OPV_ID,10,1"))
    call_command("import_quality", str(path), platform=rules.platform.code, stdout=None)
    assert DailyQuality.objects.get().failed == 1
    rules_path = tmp_path / "rules.csv"
    rules_path.write_text(RULES + "TIMELY,24小时内上传,及时性,,\n", encoding="utf-8")
    call_command("import_quality_rules", str(rules_path), platform=rules.platform.code)
    assert QualityRule.objects.get(code="TIMELY").dimension == "timeliness"


def test_the_metrics_api_adds_quality_as_json_numbers(client, rules, users):
    # The platform's statistics reach May: the period holds data (metrics.md, data day).
    upload(rules.platform, [(dt.date(2023, 5, 31), CENTRAL, "T1", 1)])
    quality_import(
        source=results(f"2023-05-01,{CENTRAL},OPV_ID,3,1", f"2023-05-01,{CENTRAL},OPV_SEX,4,0"),
        platform=rules.platform,
    )
    client.force_login(users.alice)
    url = reverse("metrics")
    params = {"start": "2023-05-01", "end": "2023-05-31", "quality": "1"}
    rows = {r["org_code"]: r for r in client.get(url, params).json()["results"]}
    assert rows[CENTRAL]["quality"] == {
        "completeness": 66.67,
        "conformance": 100.0,
        "consistency": None,
        "linkage": None,
        "timeliness": None,
        "score": 83.33,
    }
    assert rows[HC]["quality"]["score"] is None
    plain = client.get(url, {"start": "2023-05-01", "end": "2023-05-31"}).json()["results"]
    assert "quality" not in plain[0]
    assert client.get(url, {**params, "quality": "maybe"}).status_code == 400


def test_the_quality_page_lists_the_lowest_score_first_and_exports_the_same(
    client, rules, quarter, users
):
    import io

    import openpyxl

    quality_import(
        source=results(
            f"2023-05-01,{CENTRAL},OPV_ID,100,1",
            f"2023-05-01,{HC},OPV_ID,100,40",
            f"2023-05-01,{HC},OPV_SEX,10,0",
        ),
        platform=rules.platform,
    )
    client.force_login(users.alice)
    page = client.get(reverse("quality"), {"period": "2023-05"})
    assert page.status_code == 200
    sheet = page.context["sheets"][0]
    names = [str(row[2]) for row in sheet.rows]
    assert names[:2] == ["潢川县人民医院", "信阳市中心医院"]  # 80.00 before 99.00
    assert set(names[2:]) == {"光山县人民医院", "光山县中医院"}  # nothing checked: last
    hc = sheet.rows[0]
    assert hc[3] == 110 and hc[4] == Decimal("60.00") and hc[5] == Decimal("100.00")
    assert hc[-1] == Decimal("80.00")
    rules_rows = page.context["sheets"][1].rows
    assert [r[0] for r in rules_rows] == ["OPV_ID", "OPV_SEX"]  # lowest pass rate first
    assert rules_rows[0][4:] == [200, 41, Decimal("79.50")]
    book = openpyxl.load_workbook(
        io.BytesIO(
            client.get(reverse("quality"), {"period": "2023-05", "export": "quality"}).content
        )
    )
    exported = list(book.active.iter_rows(values_only=True))
    assert [r[2] for r in exported[2:]] == names
    # A county officer sees their county's hospital only.
    client.force_login(users.bob)
    page = client.get(reverse("quality"), {"period": "2023-05"})
    assert [str(row[2]) for row in page.context["sheets"][0].rows] == ["潢川县人民医院"]


def test_the_hospital_sees_its_quality_and_the_rules_to_fix_first(client, rules, quarter, users):
    quality_import(
        source=results(
            f"2023-05-01,{HC},OPV_ID,100,40",
            f"2023-05-01,{HC},OPV_SEX,10,0",
            f"2023-05-01,{CENTRAL},OPV_SEX,10,10",
        ),
        platform=rules.platform,
    )
    client.force_login(users.dana)  # 潢川县人民医院's IT staff
    url = reverse("institution-detail", args=[HC])
    page = client.get(url, {"period": "2023Q2"})
    assert page.status_code == 200
    assert page.context["quality"].score == Decimal("80.00")
    assert [r[0] for r in page.context["quality_sheet"].rows] == ["OPV_ID", "OPV_SEX"]
    fixes = [f.text for f in page.context["fixes"] if f.kind == "quality"]
    assert fixes == [
        "质量规则 OPV_ID 门诊身份证号不为空：检查的 100 条记录中有 40 条不通过（通过率 60.00%）。"
    ]
    assert 'id="institution-quality"' in page.text
    # Another period without results shows no quality section.
    assert client.get(url, {"period": "2023-04"}).context["quality"] is None
