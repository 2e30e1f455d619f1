import datetime as dt

import pytest

from apps.platforms.models import Connection
from tests.conftest import connect
from tests.factories import InstitutionFactory, PlatformFactory

URL = "/api/v1/institutions/"


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
def test_each_role_lists_its_scope(city, users, client_for, who, expected):
    InstitutionFactory(org_code="OTHER0001")  # in a region outside the city
    response = client_for(getattr(users, who)).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(expected)
    assert sorted(i["org_code"] for i in body["results"]) == expected


def test_fields_and_connections(city, users, client_for):
    province = PlatformFactory(code="province", name="省平台", level="province")
    connect(city.hc_people, city.platform, since=dt.date(2023, 1, 1))
    connect(city.hc_people, province, since=dt.date(2023, 2, 1), status="integrating")
    seen = dt.datetime(2023, 5, 1, 8, 30, tzinfo=dt.UTC)
    Connection.objects.filter(institution=city.hc_people, platform=city.platform).update(
        front_server_last_seen=seen
    )

    body = client_for(users.bob).get(URL).json()

    assert body["results"] == [
        {
            "org_code": "41152600001",
            "name": "潢川县人民医院",
            "region_code": "411526",
            "region_name": "潢川县",
            "category": "综合医院",
            "grade": "二级甲等",
            "active": True,
            "connections": [
                {
                    "platform": "city",
                    "status": "connected",
                    "front_server_last_seen": "2023-05-01T16:30:00+08:00",
                },
                {"platform": "province", "status": "integrating", "front_server_last_seen": None},
            ],
        }
    ]


def test_inactive_institutions_are_listed_as_such(city, users, client_for):
    city.central.active = False
    city.central.save()
    results = client_for(users.alice).get(URL).json()["results"]
    assert {i["org_code"]: i["active"] for i in results}["41150000001"] is False


def test_detail_in_scope(city, users, client_for):
    response = client_for(users.bob).get(URL + "41152600001/")
    assert response.status_code == 200
    assert response.json()["name"] == "潢川县人民医院"


def test_detail_outside_scope_is_404(city, users, client_for):
    assert client_for(users.bob).get(URL + "41152200001/").status_code == 404
    assert client_for(users.dana).get(URL + "41150000001/").status_code == 404
    assert client_for(users.admin).get(URL + "NOSUCH0001/").status_code == 404


def test_region_filter(city, users, client_for):
    results = client_for(users.alice).get(URL, {"region": "411522"}).json()["results"]
    assert [i["org_code"] for i in results] == ["41152200001"]


def test_region_outside_scope_is_404(city, users, client_for):
    assert client_for(users.bob).get(URL, {"region": "411522"}).status_code == 404
    assert client_for(users.bob).get(URL, {"region": "411500"}).status_code == 404
    assert client_for(users.dana).get(URL, {"region": "411526"}).status_code == 404
    assert client_for(users.alice).get(URL, {"region": "999999"}).status_code == 404


def test_pagination(city, users, client_for):
    client = client_for(users.alice)
    first = client.get(URL, {"page_size": 1}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 1
    assert first["previous"] is None
    assert "page=2" in first["next"]
    last = client.get(first["next"]).json()
    assert last["results"][0]["org_code"] != first["results"][0]["org_code"]


@pytest.mark.parametrize("page_size", ["1001", "0", "-1", "abc"])
def test_page_size_out_of_range_is_400(city, users, client_for, page_size):
    response = client_for(users.alice).get(URL, {"page_size": page_size})
    assert response.status_code == 400
    assert "1000" in response.json()["page_size"][0]


def test_page_size_1000_is_accepted(city, users, client_for):
    assert client_for(users.alice).get(URL, {"page_size": 1000}).status_code == 200


def test_queries_do_not_grow_with_institutions(
    city, users, client_for, django_assert_max_num_queries
):
    province = PlatformFactory(code="province", name="省平台", level="province")
    for n in range(60):
        inst = InstitutionFactory(org_code=f"4115269{n:04d}", region=city.huangchuan)
        connect(inst, city.platform)
        connect(inst, province)
    client = client_for(users.alice)
    # session, user and their region, count, page, connections with their platforms
    with django_assert_max_num_queries(6):
        response = client.get(URL, {"page_size": 1000})
    assert response.json()["count"] == 63
    assert all(
        len(i["connections"]) == 2
        for i in response.json()["results"]
        if i["org_code"].startswith("4115269")
    )
