"""A hospital's own page shows its upload rates against its references, how they
moved, and which references are missing."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_hospital_sees_its_rates_and_how_they_moved(client, rated, users):
    client.force_login(users.alice)
    url = reverse("institution-detail", args=["41150000001"])
    page = client.get(url, {"period": "2023Q2"})
    rates = page.context["rates"]
    row = dict((r[0], r) for r in rates.sheet.rows)["门急诊上传人次"]
    assert row[1:3] == [910, 3000] and str(row[3]) == "30.33"
    assert row[4] is None  # no reference in the first quarter: nothing to compare
    months = {r[0]: r[1] for r in rates.months.rows}
    assert str(months["2023年4月"]) == "30.00" and str(months["2023年5月"]) == "31.00"
    assert months["2023年3月"] is None
    assert rates.missing == []
    assert 'id="upload-rates"' in page.text


def test_a_missing_reference_is_said(client, rated, users):
    client.force_login(users.dana)  # 潢川县人民医院's own user
    page = client.get(reverse("institution-detail", args=["41152600001"]), {"period": "2023Q2"})
    rates = page.context["rates"]
    by_name = dict((r[0], r) for r in rates.sheet.rows)
    assert str(by_name["门急诊上传人次"][3].text) == "166.67"
    assert by_name["出院上传人次"][1:4] == [20, None, None]
    assert rates.missing == ["出院上传人次"]
    assert "本期缺少应报数" in page.text and "出院上传人次" in page.text


def test_a_month_without_its_reference_has_no_rate(client, rated, users):
    client.force_login(users.charlie)
    page = client.get(reverse("institution-detail", args=["41152200001"]), {"period": "2023-04"})
    row = dict((r[0], r) for r in page.context["rates"].sheet.rows)["门急诊上传人次"]
    assert row[1:3] == [0, 800] and str(row[3]) == "0.00"
    quarter = client.get(reverse("institution-detail", args=["41152200001"]), {"period": "2023Q2"})
    assert quarter.context["rates"].missing == ["门急诊上传人次"]
