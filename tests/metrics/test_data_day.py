"""The data day (数据截至日, metrics.md): a platform's latest day with statistics of
any institution. A period that runs past it is counted to it, and every page, export,
API answer and bulletin says "截至"; a period that starts after it has no figures. A
hospital silent while others send is silent; a platform that stopped sending makes
nobody look interrupted."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from apps.institutions.models import Institution
from apps.metrics.figures import period_figures
from tests.conftest import connect, every_day, make_bulletin, upload

pytestmark = pytest.mark.django_db

D = dt.date
DATA_DAY = D(2023, 6, 20)


@pytest.fixture
def stopped(city, users):
    """The city's platform sent statistics until 20 June 2023: 信阳市中心医院 every
    day, 潢川县人民医院 until 31 May, then nothing while the centre kept sending."""
    connect(city.central, city.platform)
    connect(city.hc_people, city.platform)
    rows = [
        (day, "41150000001", code, 10)
        for day in every_day(D(2023, 4, 1), DATA_DAY)
        for code in ("T1", "T2", "T3")
    ]
    rows += [(day, "41152600001", "T1", 5) for day in every_day(D(2023, 4, 1), D(2023, 5, 31))]
    upload(city.platform, rows)
    return city


def figures(city, start, end):
    return period_figures(
        institutions=Institution.objects.all(), platform=city.platform, start=start, end=end
    )


@pytest.mark.parametrize(
    "end, through, bounded",
    [
        (D(2023, 6, 19), D(2023, 6, 19), False),  # the day before the data day
        (DATA_DAY, DATA_DAY, False),  # on it
        (D(2023, 6, 30), DATA_DAY, True),  # after it: counted to it
    ],
)
def test_a_period_is_counted_to_the_data_day(stopped, end, through, bounded):
    result = figures(stopped, D(2023, 6, 1), end)
    assert (result.through, result.bounded) == (through, bounded)
    by_code = result.by_org_code()
    # The centre sent every day it could: no day after the data day counts against it.
    assert by_code["41150000001"].interruption_days == 0
    # The silent hospital is silent from 1 June to the last day counted.
    assert by_code["41152600001"].interruption_days == (through - D(2023, 6, 1)).days + 1
    assert by_code["41152600001"].longest_gap == (through - D(2023, 6, 1)).days + 1


def test_pages_exports_and_the_api_say_to_which_day(client, stopped, users):
    client.force_login(users.alice)
    home = client.get("/?platform=city&period=2023Q2").content.decode()
    assert "2023年第二季度（截至2023年6月20日）" in home
    listing = client.get("/institutions/?platform=city&period=2023Q2&export=xlsx")
    heading = load_workbook(io.BytesIO(listing.content)).active["A1"].value
    assert "截至2023年6月20日" in heading
    # A period that ends before the data day says nothing more.
    assert "截至" not in client.get("/?platform=city&period=2023-05").content.decode()
    api = client.get("/api/v1/metrics/?start=2023-04-01&end=2023-06-30&platform=city").json()
    assert (api["data_day"], api["through"]) == ("2023-06-20", "2023-06-20")
    by_code = {row["org_code"]: row for row in api["results"]}
    assert by_code["41150000001"]["interruption_days"] == 0
    assert by_code["41152600001"]["interruption_days"] == 20


def test_a_period_after_the_data_day_has_no_figures(client, stopped, users):
    client.force_login(users.alice)
    page = client.get("/?platform=city&period=2023Q3")
    assert page.status_code == 200 and "暂无" in page.content.decode()
    for extra in ("", "&quality=1&indicators=all"):
        url = f"/api/v1/metrics/?start=2023-07-01&end=2023-09-30&platform=city{extra}"
        api = client.get(url).json()
        assert (api["count"], api["results"], api["through"]) == (0, [], None)


def test_the_default_period_holds_data(client, stopped, users):
    client.force_login(users.alice)
    nav = client.get("/institutions/").context["nav"]
    assert nav.period.key == "2023Q2" and nav.through == DATA_DAY


def test_the_bulletin_says_to_which_day(stopped, users):
    from apps.bulletins.content import bulletin_content

    bulletin = make_bulletin(users.alice, stopped.platform)
    content = bulletin_content(bulletin)
    assert content["period"]["through"] == "2023-06-20"
    from django.template.loader import render_to_string

    html = render_to_string("bulletins/_document.html", {"c": content, "d": content["document"]})
    assert "截至2023年6月20日" in html
    assert "2023年4月1日至2023年6月20日" in html
