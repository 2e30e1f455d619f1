"""The golden test: after `load_demo`, the metrics API for 2023 Q2 reproduces the
bulletin's attachment for each of the 41 hospitals."""

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.accounts.models import User
from apps.alerts.models import Notification, Watch
from apps.campaigns.models import Campaign, CampaignTask, Inspection
from apps.demo import generator, year
from apps.indicators.models import DailyIndicator, Indicator, Reference
from apps.institutions.models import Institution
from apps.metrics.indicators import indicator_values
from apps.onboarding.models import PhaseTarget
from apps.platforms.models import ConnectionChange, Platform
from apps.rectification.models import RectificationTask
from apps.uploads.models import DailyTotal, DailyUpload

ATTACHMENT = Path(__file__).resolve().parents[2] / "apps" / "demo" / "data" / "attachment.csv"
EXPECTED_STATUS = {
    "": {"connected"},
    "未上传数据": {"connected"},
    "未联通": {"not_connected", "integrating"},
    "已联通省全民健康信息平台": {"upstream"},
}


@pytest.fixture
def demo(db):  # the whole demo, indicators included
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
    def counted():
        return (
            DailyUpload.objects.count(),
            DailyTotal.objects.count(),
            ConnectionChange.objects.count(),
            User.objects.count(),
            DailyIndicator.objects.count(),
            Reference.objects.count(),
            Campaign.objects.count(),
            Inspection.objects.count(),
            CampaignTask.objects.count(),
            PhaseTarget.objects.count(),
        )

    counts = counted()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts == counted()
    assert counts[0] > 10_000 and counts[4] > 10_000


def test_the_demo_rates_show_a_missing_reference_and_one_above_it(demo):
    """The demo's indicators came through the importers: most hospitals upload part
    of what they report to 直报; one reports nothing (no rate), one uploads more than
    it reports (flagged)."""
    platform = Platform.objects.get(code="xinyang")
    visits = Indicator.objects.get(code="outpatient_visits")
    values = indicator_values(
        institutions=Institution.objects.all(),
        platform=platform,
        start=dt.date(2023, 10, 1),
        end=dt.date(2023, 12, 31),
        indicators=[visits],
    )
    by_name = {i.name: values[i.pk]["outpatient_visits"] for i in Institution.objects.all()}
    assert by_name["平桥区中医院"].value > 0 and by_name["平桥区中医院"].rate is None
    assert by_name["信阳市第三人民医院"].over_reference
    central = by_name["信阳市中心医院"]
    assert 0 < central.rate < 100 and central.reference > central.value


def test_demo_logins_work(demo, client):
    for username in ("city", "huangchuan", "xyzx", "admin"):
        assert client.login(username=username, password="hipwatch2023"), username


def test_demo_history_records_the_source(demo):
    change = ConnectionChange.objects.filter(to_status="connected").first()
    assert change.source == "load_demo"
    assert change.effective_date < dt.date(2023, 4, 1)


# --- the rest of 2023 -------------------------------------------------------

QUARTERS = {f"2023Q{q}": span for q, span in year.QUARTERS.items()}


def quarter_results(client, key):
    start, end = QUARTERS[key]
    response = client.get(
        "/api/v1/metrics/", {"start": start.isoformat(), "end": end.isoformat(), "page_size": 100}
    )
    assert response.status_code == 200
    return {r["org_code"]: r for r in response.json()["results"]}


def test_the_year_as_imported_tells_its_story_and_the_demo_follows_it(demo, client):
    """Every quarter is stored as generated (tables, records, last upload, the
    connection status on its end); weaker, then better, some worse; the tasks quote
    the data; the alerts are evaluated the day after it (silent: connected, no
    records on 29-31 December); the portal opens on the last ended quarter with
    data, movers going both ways. One test rather than five: each test here loads
    the demo anew."""
    client.force_login(User.objects.get(username="city"))
    by_quarter = {key: quarter_results(client, key) for key in QUARTERS}

    # Stored as generated.
    catalogue = set(generator.load_table_codes(generator.TABLES_CSV))
    by_org = defaultdict(list)
    for r in year.demo_year_uploads():
        by_org[r[1]].append(r)
    for key, (start, end) in QUARTERS.items():
        got = by_quarter[key]
        assert len(got) == 41
        for row in generator.load_attachment(generator.ATTACHMENT_CSV):
            rows = by_org[row["org_code"]]
            mine = [r for r in rows if start <= r[0] <= end]
            theirs = got[row["org_code"]]
            where = (key, row["name"])
            history = [s for s, since in year.connection_history(row) if since <= end]
            assert theirs["connection_status"] == (history or ["not_connected"])[-1], where
            assert theirs["tables_uploaded"] == len({r[2] for r in mine if r[2] in catalogue})
            assert theirs["records"] == sum(r[3] for r in mine), where
            before = [r[0] for r in rows if r[0] <= end]
            assert theirs["last_upload_date"] == (max(before).isoformat() if before else None)

    # The story, as the figures tell it.
    def tiers(key):
        values = [r["tier"] for r in by_quarter[key].values()]
        return [values.count(t) for t in (1, 2, 3, 4)]

    def joined(key):
        statuses = [r["connection_status"] for r in by_quarter[key].values()]
        return sum(s in ("connected", "upstream") for s in statuses)

    def records(key):
        return sum(r["records"] for r in by_quarter[key].values())

    assert tiers("2023Q2") == [0, 8, 10, 14]  # the bulletin's
    # Weaker before, better after: fewer hospitals without data, more in the top tiers.
    assert tiers("2023Q1")[3] > tiers("2023Q2")[3] > tiers("2023Q3")[3] > tiers("2023Q4")[3]
    assert sum(tiers("2023Q1")[:2]) < sum(tiers("2023Q2")[:2]) < sum(tiers("2023Q4")[:2])
    assert tiers("2023Q4")[0] > tiers("2023Q3")[0] > 0
    assert records("2023Q1") < records("2023Q2") < records("2023Q3") < records("2023Q4")
    assert joined("2023Q1") == joined("2023Q2") == 35
    assert joined("2023Q3") == joined("2023Q4") == 36  # 罗山县妇幼保健院, 18 September

    # Movers both ways, into the fourth quarter and into the third.
    for now, before in (("2023Q4", "2023Q3"), ("2023Q3", "2023Q2")):
        changes = [
            by_quarter[now][org]["tables_uploaded"] - by_quarter[before][org]["tables_uploaded"]
            for org in by_quarter[now]
            if by_quarter[now][org]["tier"] and by_quarter[before][org]["tier"]
        ]
        assert sum(c > 0 for c in changes) >= 5 and sum(c < 0 for c in changes) >= 2, now

    # What the tasks of the second half say.
    q3, q4 = by_quarter["2023Q3"], by_quarter["2023Q4"]
    luoshan = Institution.objects.get(name="罗山县中医院").org_code
    assert q3[luoshan]["longest_gap"] == 21  # 7-27 August
    assert q3[luoshan]["last_upload_date"] == "2023-09-30"
    fifth = Institution.objects.get(name="信阳市第五人民医院").org_code
    assert (q3[fifth]["tables_uploaded"], q4[fifth]["tables_uploaded"]) == (22, 14)
    assert q4[fifth]["last_upload_date"] == "2023-12-26"
    problems = {t.institution.name: t.problem for t in RectificationTask.objects.all()}
    assert "8月7日至8月27日连续21天" in problems["罗山县中医院"]
    assert "22张降至14张，12月27日起" in problems["信阳市第五人民医院"]

    # The alerts, evaluated the day after the data.
    last_day = max(year.demo_year_uploads())[0]
    today = last_day + dt.timedelta(days=1)
    recent = {r[1] for r in year.demo_year_uploads() if r[0] > last_day - dt.timedelta(days=3)}
    expected = {
        row["name"]
        for row in generator.load_attachment(generator.ATTACHMENT_CSV)
        if year.connected_on(row) and row["org_code"] not in recent
    }
    silent = Watch.objects.filter(status="silent")
    assert {w.institution.name for w in silent} == expected
    assert len(expected) >= 5
    assert all(w.evaluated_on == today for w in Watch.objects.all())
    assert Notification.objects.filter(user__username="city").count() == len(expected)

    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert response.context["nav"].period.label == "2023年第四季度"
    movers = next(p for p in response.context["panels"] if p.sheet.key == "movers")
    changes = [float(row[4]) for row in movers.sheet.rows]
    assert any(c > 0 for c in changes) and any(c < 0 for c in changes)


def test_the_demo_runs_a_campaign_with_the_seeds_kind_of_schedule(demo, client):
    """One campaign over the city's institutions: each inspection date a hospital and
    a county commission, as the Nanjing newsletter lists them; a task made from one of
    its problems; problems on its page."""
    campaign = Campaign.objects.get()
    assert campaign.units.count() == 41
    visits = list(campaign.inspections.values_list("institution__name", "region__name"))
    assert len(visits) == 5 and all(hospital and county for hospital, county in visits)
    link = CampaignTask.objects.get()
    assert link.campaign == campaign and link.closes_itself
    client.force_login(User.objects.get(username="city"))
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200 and page.context["problem_count"] > 0
