import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.institutions.models import Institution
from apps.metrics.figures import period_figures
from tests.conftest import connect, upload
from tests.factories import EditionFactory, InstitutionFactory, PlatformFactory

D = dt.date
URL = "/api/v1/metrics/"
Q2 = {"start": "2023-04-01", "end": "2023-06-30"}
FIGURES = [
    "score",
    "connection_status",
    "connected_since",
    "required_tables",
    "tables_uploaded",
    "completeness",
    "missing_tables",
    "records",
    "rejected",
    "upload_days",
    "interruption_days",
    "longest_gap",
    "last_upload_date",
    "tier",
    "severely_missing",
    "continuity",
]


def as_json(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.fixture
def quarter(city):
    """Q2 2023: the central hospital uploads every catalogue table, 潢川 half of them
    with a long gap, 光山 is still integrating."""
    connect(city.central, city.platform, since=D(2023, 1, 1))
    connect(city.hc_people, city.platform, since=D(2023, 4, 10))
    connect(city.gs_people, city.platform, since=D(2023, 3, 1), status="integrating")
    rows = []
    day = D(2023, 4, 1)
    while day <= D(2023, 6, 30):
        rows += [(day, "41150000001", code, 10, 1) for code in ("T1", "T2", "T3", "T4")]
        if day.day == 15:
            rows += [(day, "41152600001", "T1", 3), (day, "41152600001", "X9", 7, 2)]
        day += dt.timedelta(days=1)
    upload(city.platform, rows)
    return city


def test_figures_equal_period_figures(quarter, users, client_for):
    response = client_for(users.alice).get(URL, Q2)

    assert response.status_code == 200
    body = response.json()
    expected = period_figures(
        institutions=Institution.objects.all(),
        platform=quarter.platform,
        start=D(2023, 4, 1),
        end=D(2023, 6, 30),
    ).rows
    assert body["count"] == 3
    assert [r["org_code"] for r in body["results"]] == [r.org_code for r in expected]
    for api, row in zip(body["results"], expected, strict=True):
        assert api["name"] == row.name
        assert api["region_code"] == row.institution.region_id
        assert api["category"] == row.institution.category
        assert {f: api[f] for f in FIGURES} == {f: as_json(getattr(row, f)) for f in FIGURES}


def test_serialized_values(quarter, users, client_for):
    results = {r["org_code"]: r for r in client_for(users.alice).get(URL, Q2).json()["results"]}

    central = results["41150000001"]
    assert central["completeness"] == 100.0
    assert central["tier"] == 1
    assert central["continuity"] == "good"
    assert central["last_upload_date"] == "2023-06-30"
    assert central["connected_since"] == "2023-01-01"

    huangchuan = results["41152600001"]
    assert huangchuan["completeness"] == 25.0
    assert (huangchuan["records"], huangchuan["rejected"]) == (30, 6)
    assert huangchuan["tier"] == 3
    assert huangchuan["continuity"] == "interrupted"

    guangshan = results["41152200001"]
    assert guangshan["connection_status"] == "integrating"
    assert guangshan["tier"] is None
    assert guangshan["continuity"] is None
    assert guangshan["interruption_days"] is None
    assert guangshan["last_upload_date"] is None


def test_completeness_is_a_json_number_with_one_decimal(city, users, client_for):
    EditionFactory(
        platform=city.platform,
        name="2023b",
        valid_from=D(2023, 2, 1),
        codes=[f"C{i}" for i in range(17)],
    )
    connect(city.central, city.platform)
    upload(city.platform, [(D(2023, 4, 3), "41150000001", f"C{i}", 1) for i in range(10)])

    response = client_for(users.alice).get(URL, Q2)

    assert b'"completeness":58.8,' in response.content  # 10 / 17 = 58.82…
    assert response.json()["results"][0]["completeness"] == 58.8


@pytest.mark.parametrize(
    "who, expected",
    [
        ("alice", ["41150000001", "41152200001", "41152600001"]),
        ("bob", ["41152600001"]),
        ("charlie", ["41152200001"]),
        ("dana", ["41152600001"]),
        ("admin", ["41150000001", "41152200001", "41152600001", "OTHER0001"]),
    ],
)
def test_each_role_gets_its_scope(quarter, users, client_for, who, expected):
    InstitutionFactory(org_code="OTHER0001")
    body = client_for(getattr(users, who)).get(URL, Q2).json()
    assert body["count"] == len(expected)
    assert sorted(r["org_code"] for r in body["results"]) == expected


def test_inactive_institutions_are_left_out(quarter, users, client_for):
    Institution.objects.filter(pk=quarter.central.pk).update(active=False)
    results = client_for(users.alice).get(URL, Q2).json()["results"]
    assert [r["org_code"] for r in results] == ["41152200001", "41152600001"]


def test_region_filter(quarter, users, client_for):
    results = client_for(users.alice).get(URL, {**Q2, "region": "411526"}).json()["results"]
    assert [r["org_code"] for r in results] == ["41152600001"]


def test_region_outside_scope_is_404(city, users, client_for):
    assert client_for(users.bob).get(URL, {**Q2, "region": "411522"}).status_code == 404
    assert client_for(users.dana).get(URL, {**Q2, "region": "411526"}).status_code == 404


def test_platform_by_code(quarter, users, client_for):
    PlatformFactory(code="province", name="省平台", level="province")
    results = client_for(users.alice).get(URL, {**Q2, "platform": "city"}).json()["results"]
    assert {r["org_code"]: r["records"] for r in results}["41150000001"] == 91 * 40
    # A platform without statistics has no figures to give (metrics.md, data day).
    province = client_for(users.alice).get(URL, {**Q2, "platform": "province"}).json()
    assert (province["results"], province["data_day"], province["through"]) == ([], None, None)


def test_without_a_platform_the_users_own_level_is_read(city, users, client_for):
    """With a province platform above the city's, a city officer's figures come from
    the city's platform, as the pages open on it; the province's when asked."""
    province = PlatformFactory(
        code="province", name="省平台", level="province", region=city.province
    )
    response = client_for(users.alice).get(URL, Q2)
    assert response.status_code == 200, response.json()
    assert response.json()["platform"]["code"] == city.platform.code
    asked = client_for(users.alice).get(URL, {**Q2, "platform": province.code})
    assert asked.status_code == 200 and asked.json()["platform"]["code"] == "province"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"end": "2023-06-30"}, "start"),
        ({"start": "2023-04-01"}, "end"),
        ({"start": "2023-13-01", "end": "2023-06-30"}, "start"),
        ({"start": "2023-04-01", "end": "tomorrow"}, "end"),
        ({"start": "2023-06-30", "end": "2023-04-01"}, "end"),
        ({**Q2, "platform": "nosuch"}, "platform"),
        ({**Q2, "page_size": "1001"}, "page_size"),
        ({**Q2, "page_size": "0"}, "page_size"),
    ],
)
def test_bad_parameters_are_400_with_a_message(city, users, client_for, params, field):
    response = client_for(users.alice).get(URL, params)
    assert response.status_code == 400
    message = response.json()[field][0]
    assert isinstance(message, str) and message


def test_pagination(quarter, users, client_for):
    client = client_for(users.alice)
    first = client.get(URL, {**Q2, "page_size": 1}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 1
    assert first["previous"] is None
    assert "page=2" in first["next"] and "start=2023-04-01" in first["next"]
    second = client.get(first["next"]).json()
    assert second["results"][0]["org_code"] != first["results"][0]["org_code"]
    assert second["previous"]


def test_queries_do_not_grow_with_institutions(
    city, users, client_for, django_assert_max_num_queries
):
    client = client_for(users.alice)
    params = {**Q2, "region": "411526", "page_size": 1000}
    with CaptureQueriesContext(connection) as one_institution:
        client.get(URL, params)

    rows = []
    for n in range(60):
        inst = InstitutionFactory(org_code=f"4115269{n:04d}", region=city.huangchuan)
        connect(inst, city.platform)
        rows += [(D(2023, 4, 1 + n % 28), inst.org_code, "T1", n + 1)]
    upload(city.platform, rows)

    # session and user, platform, region, period_figures' fixed set of queries, and
    # the same again for the city's institutions the score compares with
    with django_assert_max_num_queries(len(one_institution)):
        response = client.get(URL, params)
    assert response.json()["count"] == 61
    assert len(one_institution) <= 32
