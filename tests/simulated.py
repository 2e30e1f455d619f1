"""The pull tests' truth and helpers: a simulator on loopback serving a
small day, and the figures stored afterwards."""

import datetime as dt

import pytest

from apps.ingestion.simulator import Faults, Simulator, SimulatorData
from apps.uploads.models import DailyTotal, DailyUpload, MonthlyTableTotal, MonthlyTotal

DAY = dt.date(2023, 6, 30)


def truth():
    return SimulatorData(
        institutions=[
            {
                "org_code": "41150000001",
                "name": "信阳市中心医院",
                "status": "connected",
                "connected_since": "2022-11-03",
                "front_server_last_seen": "2023-06-30T23:58:12+08:00",
            },
            {
                "org_code": "41152600001",
                "name": "潢川县人民医院",
                "status": "integrating",
                "connected_since": None,
                "front_server_last_seen": None,
            },
            {
                "org_code": "99999999999",
                "name": "未登记医院",
                "status": "connected",
                "connected_since": None,
                "front_server_last_seen": None,
            },
        ],
        days={
            DAY: [
                {"org_code": "41150000001", "table_code": "T1", "records": 1234, "rejected": 5},
                {"org_code": "41150000001", "table_code": "T2", "records": 10, "rejected": 0},
                {"org_code": "41150000001", "table_code": "X_NEW", "records": 7, "rejected": 1},
                {"org_code": "41152600001", "table_code": "T1", "records": 99, "rejected": 0},
                {"org_code": "41152200001", "table_code": "T3", "records": 3, "rejected": 2},
            ]
        },
    )


@pytest.fixture
def platform_sim(city):
    """The city platform pointed at a fresh simulator; returns (platform, simulator)."""
    sims = []

    def make(faults=None, data=None):
        sim = Simulator(data or truth(), faults or Faults(page_size=2, retry_after=0), token="tok")
        city.platform.api_url = sim.start()
        city.platform.api_token = "tok"
        city.platform.save()
        sims.append(sim)
        return city.platform, sim

    yield make
    for sim in sims:
        sim.stop()


def stored(platform, day=DAY):
    return sorted(
        (u.institution.org_code, u.table_code, u.records, u.rejected)
        for u in DailyUpload.objects.filter(platform=platform, day=day).select_related(
            "institution"
        )
    )


def expected(sim, day=DAY):
    return sorted(
        (i["org_code"], i["table_code"], i["records"], i["rejected"]) for i in sim.data.days[day]
    )


def assert_rollups_match(platform):
    for total in DailyTotal.objects.filter(platform=platform):
        rows = DailyUpload.objects.filter(
            platform=platform, institution=total.institution, day=total.day
        )
        assert total.records == sum(r.records for r in rows)
        assert total.rejected == sum(r.rejected for r in rows)
        assert total.tables == sum(1 for r in rows if r.records > 0)
    # Per table and month: bitmaps of the days reported and of those with records.
    table_months = {}
    for u in DailyUpload.objects.filter(platform=platform):
        bits = table_months.setdefault(
            (u.institution_id, u.table_code, u.day.replace(day=1)), [0, 0]
        )
        bits[0] |= 1 << (u.day.day - 1)
        if u.records > 0:
            bits[1] |= 1 << (u.day.day - 1)
    assert {
        (m.institution_id, m.table_code, m.month): [m.report_days, m.upload_days]
        for m in MonthlyTableTotal.objects.filter(platform=platform)
    } == table_months
    # The per-institution month: its sums, days with records, last such day, tables
    # with records and tables with rows only, as the daily rows say; no other row.
    expected_months = {}
    for u in DailyUpload.objects.filter(platform=platform):
        m = expected_months.setdefault(
            (u.institution_id, u.day.replace(day=1)),
            {"records": 0, "rejected": 0, "days": set(), "codes": {}},
        )
        m["records"] += u.records
        m["rejected"] += u.rejected
        if u.records:
            m["days"].add(u.day)
        m["codes"][u.table_code] = m["codes"].get(u.table_code, 0) + u.records
    stored_months = {
        (m.institution_id, m.month): m for m in MonthlyTotal.objects.filter(platform=platform)
    }
    assert stored_months.keys() == expected_months.keys()
    for key, m in expected_months.items():
        row = stored_months[key]
        assert (row.records, row.rejected) == (m["records"], m["rejected"]), key
        assert row.days() == sorted(d.day for d in m["days"]), key
        assert row.last_upload == max(m["days"], default=None), key
        tables = {c for c, r in m["codes"].items() if r > 0}
        assert set(filter(None, row.tables.split(","))) == tables, key
        assert set(filter(None, row.silent_tables.split(","))) == m["codes"].keys() - tables, key
