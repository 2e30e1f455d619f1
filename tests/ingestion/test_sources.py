"""The same quarter through every kind of source gives the same figures: the
platform's HTTP interface (the simulator), its database on MariaDB and on
PostgreSQL (a vendor's upload log, one row per batch, aggregated by the officer's
query) and a folder of daily files over SFTP — real servers on loopback, no mocks.
Then the faults of a night: the database down then up, a query past its
timeout, a file still being written, a file revised, the same file twice, a
stranger's file in the folder."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
import sqlalchemy as sa

from apps.indicators.models import DailyIndicator
from apps.ingestion.backfills import backfill_run, backfill_start
from apps.ingestion.models import SyncRun, UnknownIndicatorValue, UnknownQualityValue, UnknownUpload
from apps.ingestion.pull import platform_pull_measure
from apps.ingestion.simulator import Faults, Simulator, SimulatorData
from apps.ingestion.source import sources_held
from apps.ingestion.vendor import VENDOR_QUERIES, day_file, publish_files, publish_sql
from apps.institutions.models import Institution
from apps.metrics.figures import period_figures
from apps.platforms.models import Platform
from apps.quality.models import DailyQuality
from apps.uploads.models import DailyUpload
from tests.conftest import connect, every_day
from tests.factories import EditionFactory, PlatformFactory
from tests.peers import grant_reads

START, END = dt.date(2023, 4, 1), dt.date(2023, 6, 30)
RULES = [
    {
        "code": "R_ID",
        "name": "身份证号非空",
        "dimension": "completeness",
        "table_code": "T1",
        "description": "患者身份证号不得为空",
    },
    {
        "code": "R_DATE",
        "name": "就诊日期格式",
        "dimension": "conformance",
        "table_code": None,
        "description": "",
    },
]


def quarter() -> SimulatorData:
    """A generated quarter of a small city: three hospitals of the registry and one
    it does not know, four required tables and one outside the catalogue, two
    indicators (one the catalogue lacks), two quality rules; days without uploads,
    zero-record rows, refusals."""
    rng = random.Random(26)
    data = SimulatorData(quality_rules=[dict(r) for r in RULES])
    codes = ["41150000001", "41152600001", "41152200001", "41159900009"]
    for day in every_day(START, END):
        uploads, indicators, quality = [], [], []
        for org in codes:
            if rng.random() < 0.1:  # a silent day
                continue
            for table in ["T1", "T2", "T3", "T4", "X_NEW"]:
                if rng.random() < 0.3:
                    continue
                records = rng.choice([0, 1, 2, rng.randint(3, 5000)])
                rejected = rng.choice([0, 0, rng.randint(1, 50)])
                uploads.append(
                    {"org_code": org, "table_code": table, "records": records, "rejected": rejected}
                )
            for indicator in ["outpatient_visits", "vendor_special"]:
                indicators.append(
                    {"org_code": org, "indicator": indicator, "value": rng.randint(0, 900)}
                )
            for rule in RULES:
                checked = rng.randint(0, 400)
                quality.append(
                    {
                        "org_code": org,
                        "rule": rule["code"],
                        "checked": checked,
                        "failed": rng.randint(0, checked),
                    }
                )
        data.days[day], data.indicators[day], data.quality[day] = uploads, indicators, quality
    return data


def platform_of(code: str, city, **fields) -> Platform:
    platform = PlatformFactory(code=code, name=code, region=city.city)
    EditionFactory(platform=platform, name="2023", codes=["T1", "T2", "T3", "T4"])
    for inst in (city.central, city.hc_people, city.gs_people):
        connect(inst, platform, since=dt.date(2023, 1, 1))
    for name, value in fields.items():
        setattr(platform, name, value)
    platform.save()
    return platform


def pull_quarter(platform: Platform) -> None:
    backfill = backfill_start(
        platform=platform, first_day=START, last_day=END, trigger=SyncRun.Trigger.COMMAND
    )
    backfill_run(backfill)
    assert backfill.days_failed == 0


def what_is_stored(platform: Platform) -> dict:
    """Every figure of the quarter and every row behind them, without the platform."""
    figures = period_figures(
        institutions=Institution.objects.all(), platform=platform, start=START, end=END
    )
    rows = [
        {k: v for k, v in dataclasses.asdict(row).items() if k not in ("institution", "edition")}
        | {"org_code": row.org_code}
        for row in figures.rows
    ]
    months = [
        period_figures(
            institutions=Institution.objects.all(), platform=platform, start=m, end=e
        ).summary
        for m, e in ((dt.date(2023, 4, 1), dt.date(2023, 4, 30)), (dt.date(2023, 6, 10), END))
    ]

    def rows_of(model, *fields):
        return sorted(model.objects.filter(platform=platform).values_list(*fields))

    return {
        "figures": rows,
        "summary": figures.summary,
        "months": months,
        "uploads": rows_of(
            DailyUpload, "institution__org_code", "table_code", "day", "records", "rejected"
        ),
        "indicators": rows_of(
            DailyIndicator, "institution__org_code", "indicator__code", "day", "value"
        ),
        "quality": rows_of(
            DailyQuality, "institution__org_code", "rule__code", "day", "checked", "failed"
        ),
        "waiting": [
            rows_of(UnknownUpload, "org_code", "table_code", "day", "records", "rejected"),
            rows_of(UnknownIndicatorValue, "org_code", "indicator", "day", "value"),
            rows_of(UnknownQualityValue, "org_code", "rule", "day", "checked", "failed"),
        ],
    }


@pytest.mark.django_db(transaction=True)
def test_one_quarter_through_every_kind_of_source_gives_the_same_figures(
    city, mariadb, vendor_postgres, sftp, settings
):
    from apps.indicators.services import indicator_defaults_ensure

    settings.HIPWATCH_PULL = {**settings.HIPWATCH_PULL, "retries": 0}
    indicator_defaults_ensure()  # a transactional test before this one flushed the catalogue
    data = quarter()

    sim = Simulator(data, Faults(page_size=50), token="tok")
    http = platform_of("http", city, api_url=sim.start(), api_token="tok")

    publish_sql(data, mariadb.admin_url)
    maria = platform_of(
        "maria",
        city,
        source="sql",
        sql_url=mariadb.url,
        sql_password=mariadb.password,
        sql_queries=VENDOR_QUERIES,
        sql_timeout=30,
    )
    publish_sql(data, vendor_postgres.admin_url)
    grant_reads(vendor_postgres)
    pg = platform_of(
        "pg",
        city,
        source="sql",
        sql_url=vendor_postgres.url,
        sql_password=vendor_postgres.password,
        sql_queries=VENDOR_QUERIES,
        sql_timeout=30,
    )
    publish_files(data, sftp.root)
    folder = platform_of(
        "folder",
        city,
        source="files",
        files_location=sftp.url,
        files_private_key=sftp.private_key,
        files_host_key=sftp.public_host_key,
    )
    try:
        for platform in (http, maria, pg, folder):
            pull_quarter(platform)
    finally:
        sim.stop()
    # A folder holds no quality rules: its platform imports them as a file; until
    # then its results wait for review, and then they count like the others'.
    from apps.ingestion.review import waiting_quality_store
    from apps.quality.services import RuleRow, quality_rules_store

    quality_rules_store(
        platform=folder,
        rows=[
            RuleRow(r["code"], r["name"], r["dimension"], r["table_code"] or "", r["description"])
            for r in RULES
        ],
    )
    waiting_quality_store(platform=folder)

    expected = what_is_stored(http)
    assert expected["uploads"] and expected["indicators"] and expected["quality"]
    assert all(expected["waiting"])  # the unknown hospital, the unknown indicator
    for platform in (maria, pg, folder):
        assert what_is_stored(platform) == expected, platform.code


# ---------------------------------------------------------------------------
# The faults of a night
# ---------------------------------------------------------------------------

DAYS = [dt.date(2023, 6, d) for d in range(24, 29)]


def small_truth() -> SimulatorData:
    data = SimulatorData(quality_rules=[dict(r) for r in RULES])
    for n, day in enumerate(DAYS):
        data.days[day] = [
            {"org_code": "41150000001", "table_code": "T1", "records": 100 + n, "rejected": 1},
            {"org_code": "41152600001", "table_code": "T2", "records": 7 * n, "rejected": 0},
        ]
    return data


def uploads_of(platform):
    return sorted(
        DailyUpload.objects.filter(platform=platform).values_list(
            "institution__org_code", "table_code", "day", "records", "rejected"
        )
    )


def truth_rows(data: SimulatorData) -> list[tuple]:
    return sorted(
        (i["org_code"], i["table_code"], day, i["records"], i["rejected"])
        for day, items in data.days.items()
        for i in items
    )


def pull(platform, day):
    return platform_pull_measure(platform=platform, day=day, kind=SyncRun.Kind.UPLOADS)


@pytest.fixture
def quick_retries(settings):
    settings.HIPWATCH_PULL = {**settings.HIPWATCH_PULL, "retries": 1, "backoff": 0.01}


@pytest.mark.django_db(transaction=True)
def test_a_night_with_the_database_down_then_up_loses_nothing_and_doubles_nothing(
    city, mariadb, quick_retries
):
    from tests.peers import Proxy

    data = small_truth()
    publish_sql(data, mariadb.admin_url)
    proxy = Proxy("127.0.0.1", 3306)
    url = mariadb.url.replace("127.0.0.1:3306", f"127.0.0.1:{proxy.port}")
    platform = platform_of(
        "maria",
        city,
        source="sql",
        sql_url=url,
        sql_password=mariadb.password,
        sql_queries=VENDOR_QUERIES,
    )
    try:
        assert [pull(platform, d).outcome for d in DAYS[:2]] == ["success", "success"]
        proxy.down()  # stopped mid-night
        failed = [pull(platform, d) for d in DAYS[2:]]
        assert {r.outcome for r in failed} == {SyncRun.Outcome.FAILED}
        assert failed[0].error == "平台数据库未响应 uploads 查询：OperationalError"
        stored = uploads_of(platform)
        assert {day for _o, _t, day, *_ in stored} == set(DAYS[:2])
        proxy.up()  # the next night reads every day it may still revise
        runs = [pull(platform, d) for d in DAYS]
    finally:
        proxy.close()
    assert [r.outcome for r in runs] == ["success"] * len(DAYS)
    assert [r.rows_stored for r in runs[:2]] == [2, 2]
    assert uploads_of(platform) == truth_rows(data)  # nothing lost, nothing doubled


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("server", ["mariadb", "postgresql"])
def test_a_query_past_its_timeout_is_cancelled_retried_and_fails_its_day(
    city, server, request, quick_retries
):
    peer = request.getfixturevalue("mariadb" if server == "mariadb" else "vendor_postgres")
    sleep = (
        "SELECT SLEEP(5) AS date, '' AS org_code, '' AS table_code, 0 AS records, 0 AS rejected "
        "WHERE :start = :end"
        if server == "mariadb"
        else "SELECT CAST(pg_sleep(5) AS text) AS date, '' AS org_code, '' AS table_code, "
        "0 AS records, 0 AS rejected WHERE CAST(:start AS date) = :end"
    )
    platform = platform_of(
        "slow",
        city,
        source="sql",
        sql_url=peer.url,
        sql_password=peer.password,
        sql_queries={"uploads": sleep},
        sql_timeout=1,
    )
    run = pull(platform, DAYS[0])
    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.error == "uploads 查询超过了超时时间（1 秒）。"
    assert not DailyUpload.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_account_is_never_used_to_write(city, vendor_postgres):
    """Even an account that could write (the vendor database's owner) reads in a
    read-only transaction: a query that deletes is refused and deletes nothing."""
    import sqlalchemy as sa

    publish_sql(small_truth(), vendor_postgres.admin_url)
    owner = vendor_postgres.admin_url
    deleting = (
        "WITH gone AS (DELETE FROM sjsc_rz RETURNING jgdm) SELECT CAST(:start AS date) AS date, "
        "jgdm AS org_code, 'T1' AS table_code, 1 AS records, 0 AS rejected FROM gone "
        "WHERE CAST(:end AS date) IS NOT NULL"
    )
    platform = platform_of(
        "owner", city, source="sql", sql_url=owner, sql_queries={"uploads": deleting}
    )
    run = pull(platform, DAYS[0])
    assert run.outcome == SyncRun.Outcome.FAILED and "read-only" in run.error
    engine = sa.create_engine(owner)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT COUNT(*) FROM sjsc_rz").scalar() > 0
    engine.dispose()


def test_a_query_is_one_select_with_its_days():
    from apps.ingestion.sql_source import query_problem, url_problem

    assert query_problem("uploads", VENDOR_QUERIES["uploads"]) is None
    assert query_problem("uploads", "SELECT 1; DROP TABLE x") is not None
    assert query_problem("uploads", "DELETE FROM sjsc_rz") is not None
    assert query_problem("uploads", "SELECT * FROM sjsc_rz") is not None  # no :start, :end
    assert query_problem("institutions", VENDOR_QUERIES["institutions"]) is None
    assert url_problem("mysql+pymysql://u:secret@h/db") is not None  # no password in the URL
    assert url_problem("sqlite:///x.db") is not None
    assert url_problem("postgresql+psycopg://u@h:5432/db") is None


# ---------------------------------------------------------------------------
# A folder
# ---------------------------------------------------------------------------


@pytest.fixture
def folder_platform(city, tmp_path):
    return platform_of("drop", city, source="files", files_location=str(tmp_path))


def write(path, content: bytes, *, ok: bool = True, age: float = 0) -> None:
    import os
    import time

    path.write_bytes(content)
    if age:
        moment = time.time() - age
        os.utime(path, (moment, moment))
    if ok:
        path.with_name(path.name + ".ok").write_bytes(b"")


@pytest.mark.django_db
def test_a_file_is_read_once_complete_revised_when_changed_and_once_only(folder_platform, tmp_path):
    data = small_truth()
    day = DAYS[0]
    path = tmp_path / f"uploads-{day}.csv"
    (tmp_path / "说明.txt").write_text("平台厂商的说明")  # a stranger's file: left alone
    write(path, day_file("uploads", day, data.days[day]), ok=False)  # still being written
    run = pull(folder_platform, day)
    assert run.outcome == SyncRun.Outcome.NO_DATA and "仍在写入" in run.error
    assert not DailyUpload.objects.exists()

    path.with_name(path.name + ".ok").write_bytes(b"")  # complete
    assert pull(folder_platform, day).outcome == SyncRun.Outcome.SUCCESS
    assert uploads_of(folder_platform) == truth_rows(SimulatorData(days={day: data.days[day]}))

    again = pull(folder_platform, day)  # the same file twice changes nothing
    assert again.outcome == SyncRun.Outcome.SKIPPED

    data.days[day][0]["records"] += 1000  # the platform revises the day
    write(path, day_file("uploads", day, data.days[day]))
    revised = pull(folder_platform, day)
    assert revised.outcome == SyncRun.Outcome.SUCCESS
    assert uploads_of(folder_platform) == truth_rows(SimulatorData(days={day: data.days[day]}))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"uploads-{day}.csv",
        f"uploads-{day}.csv.ok",
        "说明.txt",
    ]  # nothing moved or deleted


@pytest.mark.django_db
def test_a_settled_file_needs_no_companion_and_its_bad_rows_are_refused_alone(
    folder_platform, tmp_path
):
    day = DAYS[1]
    content = (
        "日期,机构代码,表代码,上传记录数,校验未通过数\n"
        f"{day},41150000001,T1,12,0\n"
        f"{day},41150000001,T2,-3,0\n"
        f"{day},41150000001,T3,5,0,多出的一列\n"
        f"2023-01-01,41152600001,T1,9,0\n"
    ).encode()
    write(tmp_path / f"uploads-{day}.csv", content, ok=False, age=120)
    run = pull(folder_platform, day)
    assert run.outcome == SyncRun.Outcome.SUCCESS and run.rows_stored == 1
    reasons = sorted((r["item"], r["reason"]) for r in run.rejections)
    assert reasons == [
        (3, "records 不是 0 或正整数"),
        (4, "表头之外还有内容“多出的一列”。"),
        (5, f"日期为 2023-01-01，不是所拉取的日期（{day}）"),
    ]


def sftp_platform(city, sftp, host_key: str | None = None) -> Platform:
    """A platform reading the SFTP server's folder, its host key confirmed (or
    another one stored)."""
    return platform_of(
        "sftp",
        city,
        source="files",
        files_location=sftp.url,
        files_private_key=sftp.private_key,
        files_host_key=host_key or sftp.public_host_key,
    )


@pytest.mark.django_db(transaction=True)
def test_an_sftp_folder_away_for_the_night_then_back(city, sftp, quick_retries):
    data = small_truth()
    publish_files(data, sftp.root)
    platform = sftp_platform(city, sftp)
    sftp.stop()
    away = pull(platform, DAYS[0])
    assert away.outcome == SyncRun.Outcome.FAILED and "SFTP" in away.error
    sftp.start()
    assert [pull(platform, d).outcome for d in DAYS] == ["success"] * len(DAYS)
    assert uploads_of(platform) == truth_rows(data)


@pytest.mark.django_db(transaction=True)
def test_a_backfill_reads_over_one_session_and_replaces_one_that_died(city, sftp, settings):
    data = small_truth()
    publish_files(data, sftp.root)
    platform = sftp_platform(city, sftp)
    backfill = backfill_start(
        platform=platform, first_day=DAYS[0], last_day=DAYS[-1], trigger=SyncRun.Trigger.COMMAND
    )
    backfill_run(backfill)
    assert backfill.days_failed == 0 and uploads_of(platform) == truth_rows(data)
    # Five days of three kinds: one SSH connection.
    assert len(sftp.accepted) == 1
    # Outside a night, a pull opens and closes its own.
    pull(platform, DAYS[0])
    assert len(sftp.accepted) == 2
    # A held session the server closed while it was idle is replaced at once, not
    # counted as a retry (there are none here).
    settings.HIPWATCH_PULL = {**settings.HIPWATCH_PULL, "retries": 0}
    publish_files(dataclasses.replace(data, days={d: [] for d in DAYS}), sftp.root)
    with sources_held():
        assert pull(platform, DAYS[0]).outcome == SyncRun.Outcome.SUCCESS
        sftp.drop()
        assert [pull(platform, d).outcome for d in DAYS[1:]] == ["success"] * 4
    assert len(sftp.accepted) == 4 and not uploads_of(platform)


@pytest.mark.django_db(transaction=True)
def test_a_database_connection_held_for_the_night_and_replaced_when_cut(city, mariadb, settings):
    from tests.peers import Proxy

    settings.HIPWATCH_PULL = {**settings.HIPWATCH_PULL, "retries": 0}
    data = small_truth()
    publish_sql(data, mariadb.admin_url)
    proxy = Proxy("127.0.0.1", 3306)
    platform = platform_of(
        "maria",
        city,
        source="sql",
        sql_url=mariadb.url.replace("127.0.0.1:3306", f"127.0.0.1:{proxy.port}"),
        sql_password=mariadb.password,
        sql_queries=VENDOR_QUERIES,
    )
    try:
        with sources_held():
            assert pull(platform, DAYS[0]).outcome == SyncRun.Outcome.SUCCESS
            proxy.down()  # the held connection cut, the server back at once
            proxy.up()
            assert [pull(platform, d).outcome for d in DAYS[1:]] == ["success"] * 4
    finally:
        proxy.close()
    assert uploads_of(platform) == truth_rows(data)


@pytest.mark.django_db(transaction=True)
def test_an_sftp_server_with_another_host_key_is_refused(city, sftp):
    import asyncssh

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    platform = sftp_platform(city, sftp, host_key=other)
    publish_files(small_truth(), sftp.root)
    run = pull(platform, DAYS[0])
    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.error == "SFTP 服务器的主机密钥与已保存的不一致，已拒绝连接。"
    assert not DailyUpload.objects.exists()


# ---------------------------------------------------------------------------
# The demo's sources (load_demo --with-sources): SQLite, only the demo's, read-only
# ---------------------------------------------------------------------------


def test_a_sqlite_database_can_only_be_the_demos(settings, tmp_path):
    from apps.ingestion.sql_source import url_problem

    settings.HIPWATCH_DEMO_SOURCES_DIR = tmp_path / "demo"
    assert url_problem(f"sqlite:///{tmp_path}/demo/vendor.sqlite3") is None
    for elsewhere in (
        f"sqlite:///{settings.BASE_DIR}/db.sqlite3",  # the portal's own
        f"sqlite:///{tmp_path}/demo/../db.sqlite3",
        "sqlite://",
    ):
        assert url_problem(elsewhere) is not None, elsewhere


@pytest.mark.django_db
def test_the_demos_vendor_database_is_read_and_never_written(city, settings, tmp_path):
    import sqlite3

    settings.HIPWATCH_DEMO_SOURCES_DIR = tmp_path
    data = small_truth()
    database = tmp_path / "vendor.sqlite3"
    publish_sql(data, f"sqlite:///{database}")
    platform = platform_of(
        "demo", city, source="sql", sql_url=f"sqlite:///{database}", sql_queries=VENDOR_QUERIES
    )
    assert [pull(platform, d).outcome for d in DAYS] == ["success"] * len(DAYS)
    assert uploads_of(platform) == truth_rows(data)
    platform.sql_queries = {"uploads": VENDOR_QUERIES["uploads"] + "; DELETE FROM sjsc_rz"}
    platform.save()
    assert pull(platform, DAYS[0]).outcome == SyncRun.Outcome.FAILED  # one statement only
    # And the connection itself cannot write.
    from apps.ingestion.sql_source import SqlSource

    engine = SqlSource(f"sqlite:///{database}", "", {})._engine()
    with pytest.raises(sa.exc.OperationalError, match="readonly"), engine.connect() as c:
        c.exec_driver_sql("DELETE FROM sjsc_rz")
    with sqlite3.connect(database) as c:
        assert c.execute("SELECT COUNT(*) FROM sjsc_rz").fetchone()[0] > 0
