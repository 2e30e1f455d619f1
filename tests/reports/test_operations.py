"""业务运行: appointments by channel, telemedicine and kiosks, all from indicators,
each a table with its total, a chart of the same figures and the Excel."""

import io

import openpyxl
import pytest
from django.urls import reverse

from apps.indicators.services import indicator_add, indicators_import

pytestmark = pytest.mark.django_db


def load(city, lines: str):
    indicators_import(
        source=("date,org_code,indicator,value\n" + lines).encode(), platform=city.platform
    )


def rows(response):
    assert response.status_code == 200
    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)


def page(client, name, **params):
    return client.get(reverse("operations", args=[name]), {"period": "2023Q2", **params})


def test_appointments_by_channel_with_subtotals_and_the_total(client, quarter, users):
    april = "".join(f"2023-04-{d:02d},41150000001,appt_online,10\n" for d in range(1, 31))
    load(
        quarter,
        april
        + "2023-04-02,41150000001,appt_phone,5\n"
        + "2023-05-01,41152600001,appt_clinic,7\n"
        + "2023-07-01,41152600001,appt_clinic,99\n",  # after the period
    )
    client.force_login(users.alice)
    table = rows(page(client, "appointments", export="appointments"))
    assert table[1] == ("序号", "医院名称", "12320在线", "电话", "诊间", "第三方", "小计")
    assert table[2] == (1, "信阳市中心医院", 300, 5, 0, 0, 305)
    assert table[3] == (2, "潢川县人民医院", 0, 0, 7, 0, 7)
    assert table[4] == (None, "合计", 300, 5, 7, 0, 312)
    response = page(client, "appointments")
    charts = response.context["charts"]
    assert charts[0]["categories"] == ["潢川县人民医院", "信阳市中心医院"]
    assert [s["data"] for s in charts[0]["series"]] == [[0, 300], [0, 5], [7, 0], [0, 0]]
    client.force_login(users.bob)  # a county officer: the county's hospitals only
    assert [r[1] for r in rows(page(client, "appointments", export="appointments"))[2:]] == [
        "潢川县人民医院",
        "合计",
    ]


def test_telemedicine_counts_institutions_cases_and_the_top_three(client, quarter, users):
    load(
        quarter,
        "2023-04-01,41150000001,tele_ecg,3\n"
        "2023-04-02,41152600001,tele_ecg,9\n"
        "2023-04-03,41152200001,tele_ecg,1\n"
        "2023-04-03,41152200001,tele_imaging,4\n",
    )
    client.force_login(users.alice)
    table = {r[0]: r for r in rows(page(client, "telemedicine", export="telemedicine"))[2:]}
    assert table["远程心电"][1:] == (3, 13, "潢川县人民医院 9、信阳市中心医院 3、光山县人民医院 1")
    assert table["远程影像"][1:] == (1, 4, "光山县人民医院 4")
    assert table["远程会诊"][1:3] == (0, 0)


def test_kiosks_need_their_indicators_and_take_the_units_at_the_end(client, quarter, users):
    client.force_login(users.alice)
    missing = page(client, "kiosks")
    assert missing.status_code == 200 and "kiosk_units" in missing.text
    for code, name, kind in (
        ("kiosk_units", "自助机投放台数", "stock"),
        ("kiosk_registrations", "自助机挂号", "flow"),
        ("kiosk_payments", "自助机缴费", "flow"),
    ):
        indicator_add(user=None, code=code, name=name, unit="", kind=kind, group="自助服务")
    load(
        quarter,
        "2023-04-01,41150000001,kiosk_units,12\n"
        "2023-06-01,41150000001,kiosk_units,14\n"
        "2023-04-05,41150000001,kiosk_registrations,100\n"
        "2023-04-05,41150000001,kiosk_payments,160\n",
    )
    table = rows(page(client, "kiosks", export="kiosks"))
    assert table[1][2:] == ("自助机投放台数", "自助机挂号", "自助机缴费")
    assert table[2] == (1, "信阳市中心医院", 14, 100, 160)
    assert table[-1] == (None, "合计", 14, 100, 160)
    assert "kiosk_units" not in page(client, "kiosks").text


def test_unknown_pages_and_hospital_users_get_404(client, quarter, users):
    client.force_login(users.alice)
    assert page(client, "nonsense").status_code == 404
    client.force_login(users.dana)
    assert page(client, "appointments").status_code == 404
