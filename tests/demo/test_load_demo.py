"""The golden test: after `load_demo`, the metrics API for 2023 Q2 reproduces the
bulletin's attachment for each of the 41 hospitals."""

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.accounts.models import User
from apps.platforms.models import ConnectionChange
from apps.uploads.models import DailyTotal, DailyUpload

ATTACHMENT = Path(__file__).resolve().parents[2] / "apps" / "demo" / "data" / "attachment.csv"
EXPECTED_STATUS = {
    "": {"connected"},
    "未上传数据": {"connected"},
    "未联通": {"not_connected", "integrating"},
    "已联通省全民健康信息平台": {"upstream"},
}


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


def attachment_rows():
    with open(ATTACHMENT, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_metrics_api_reproduces_the_attachment(demo, client):
    client.force_login(User.objects.get(username="city"))
    response = client.get(
        "/api/v1/metrics/", {"start": "2023-04-01", "end": "2023-06-30", "page_size": 100}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 41
    by_name = {r["name"]: r for r in body["results"]}
    for row in attachment_rows():
        got = by_name[row["name"]]
        assert got["connection_status"] in EXPECTED_STATUS[row["remark"]], row["name"]
        if row["tables_uploaded"]:
            assert got["tables_uploaded"] == int(row["tables_uploaded"]), row["name"]
            assert got["records"] == int(row["records"]), row["name"]
            assert got["last_upload_date"] == row["last_upload_date"], row["name"]
            assert got["required_tables"] == 51
        else:
            assert got["tables_uploaded"] == 0 and got["records"] == 0, row["name"]
            assert got["last_upload_date"] is None, row["name"]
        if row["remark"] == "未上传数据":
            assert got["tier"] == 4, row["name"]


def test_the_demo_counts_match_the_bulletin_table(demo, client):
    client.force_login(User.objects.get(username="city"))
    results = client.get("/api/v1/metrics/", {"start": "2023-04-01", "end": "2023-06-30"}).json()[
        "results"
    ]
    tiers = [r["tier"] for r in results]
    assert [tiers.count(t) for t in (1, 2, 3, 4)] == [0, 8, 10, 14]
    assert sum(r["severely_missing"] for r in results) == 5
    assert sum(r["connection_status"] in ("connected", "upstream") for r in results) == 35


def test_load_demo_twice_duplicates_nothing(demo):
    counts = (
        DailyUpload.objects.count(),
        DailyTotal.objects.count(),
        ConnectionChange.objects.count(),
        User.objects.count(),
    )
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts == (
        DailyUpload.objects.count(),
        DailyTotal.objects.count(),
        ConnectionChange.objects.count(),
        User.objects.count(),
    )
    assert counts[0] > 10_000


def test_demo_logins_work(demo, client):
    for username in ("city", "huangchuan", "xyzx", "admin"):
        assert client.login(username=username, password="hipwatch2023"), username


def test_demo_history_records_the_source(demo):
    change = ConnectionChange.objects.filter(to_status="connected").first()
    assert change.source == "load_demo"
    assert change.effective_date < dt.date(2023, 4, 1)
