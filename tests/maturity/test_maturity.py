"""测评等级: officers record each unit's level per scheme from the browser; the page
counts units by region and level and names those below target and past the
deadline, as Excel too; the institution page shows the level."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from apps.maturity.models import Assessment
from apps.maturity.services import AssessmentRefused, assessment_save

pytestmark = pytest.mark.django_db


def record(city, inst, level, year=2022, **extra):
    return assessment_save(
        user=None, institution=inst, scheme="hospital", level=level, year=year, **extra
    )


def test_an_officer_records_a_result_from_the_browser_and_corrects_it(client, city, users):
    client.force_login(users.alice)
    data = {
        "institution": city.central.pk,
        "scheme": "hospital",
        "level": "4a",
        "year": "2022",
        "certificate": "国卫统信便函〔2022〕10号",
        "target_level": "5b",
        "target_deadline": "2025-12-31",
    }
    assert client.post(reverse("maturity-new"), data).status_code == 302
    saved = Assessment.objects.get()
    assert (saved.level, saved.target_level, saved.target_deadline) == (
        "4a",
        "5b",
        dt.date(2025, 12, 31),
    )
    # A provincial grade is no level of the national scheme: refused, nothing changed.
    bad = client.post(reverse("maturity-edit", args=[saved.pk]), {**data, "level": "p3"})
    assert bad.status_code == 200 and "该等级不属于该测评类别" in bad.text
    assert Assessment.objects.get().level == "4a"
    client.post(reverse("maturity-edit", args=[saved.pk]), {**data, "level": "5b"})
    assert Assessment.objects.get().level == "5b"
    # County officers read, hospital staff see no page, neither records.
    client.force_login(users.bob)
    assert client.get(reverse("maturity-new")).status_code == 404
    client.force_login(users.dana)
    assert client.get(reverse("maturity")).status_code == 404


def test_the_page_counts_by_region_and_level_and_names_the_laggards(client, city, users):
    record(city, city.central, "4a", target_level="5b", target_deadline=dt.date(2020, 12, 31))
    record(city, city.central, "3", year=2019)  # an older result: not the current one
    record(city, city.hc_people, "4b", target_level="4a", target_deadline=dt.date(2099, 1, 1))
    record(city, city.gs_people, "5b", target_level="5b")
    client.force_login(users.alice)
    page = client.get(reverse("maturity"))
    counts, units = page.context["sheets"]
    assert counts.headers[1:-1] == [
        "一级",
        "二级",
        "三级",
        "四级乙等",
        "四级甲等",
        "五级乙等",
        "五级甲等",
    ]
    by_region = {r[0]: r[1:] for r in counts.rows}
    assert by_region["市直"] == [0, 0, 0, 0, 1, 0, 0, 1]
    assert by_region["合计"] == [0, 0, 0, 1, 1, 1, 0, 3]
    standing = {str(r[1]): str(r[-1]) for r in units.rows}
    assert standing == {
        "信阳市中心医院": "已过期限",
        "潢川县人民医院": "未达目标",
        "光山县人民医院": "已达目标",
    }
    assert page.context["below"] == 2 and page.context["overdue"] == 1
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("maturity"), {"export": "units"}).content)
    )
    exported = list(book.active.iter_rows(values_only=True))
    assert [r[1] for r in exported[2:]] == [str(r[1]) for r in units.rows]
    assert [r[-1] for r in exported[2:]] == [str(r[-1]) for r in units.rows]
    # A county officer counts their county only.
    client.force_login(users.bob)
    counts = client.get(reverse("maturity")).context["sheets"][0]
    assert [r[0] for r in counts.rows] == ["潢川县", "合计"]
    # The institution page shows its current level and target.
    client.force_login(users.alice)
    detail = client.get(reverse("institution-detail", args=[city.central.org_code]))
    assert [a.level for a in detail.context["assessments"]] == ["4a"]
    assert "四级甲等（2022）" in detail.text


def test_one_result_per_unit_scheme_and_year():
    with pytest.raises(AssessmentRefused):
        assessment_save(user=None, institution=None, scheme="region", level="p1", year=2022)


def test_a_second_result_for_the_same_year_replaces_the_first(city):
    record(city, city.central, "4b")
    record(city, city.central, "4a")
    assert list(Assessment.objects.values_list("level", flat=True)) == ["4a"]
