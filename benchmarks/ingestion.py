"""Benchmark of the nightly pull: one day of a province (2,000 institutions × 100
tables = 200,000 rows) from the shipped simulator, over HTTP on loopback, into
PostgreSQL through `platform_pull_day` — beside a plain PostgreSQL COPY of the
same rows into a table like DailyUpload (same columns, same indexes).

    make bench                                   # runs this after benchmarks.run
    BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/hipwatch_bench_ingest \\
    BENCH_INGEST_INSTITUTIONS=2000 BENCH_INGEST_TABLES=100 python -m benchmarks.ingestion

The database named by BENCH_PG_URL is created if missing and reused.
"""

import datetime as dt
import os
import random
import sys
import time

from benchmarks import goals

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/hipwatch_bench_ingest")
os.environ["DATABASE_URL"] = PG_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

N = int(os.environ.get("BENCH_INGEST_INSTITUTIONS", 2000))
T = int(os.environ.get("BENCH_INGEST_TABLES", 100))
PAGE = int(os.environ.get("BENCH_INGEST_PAGE_SIZE", 1000))
DAY = dt.date(2024, 3, 14)


def ensure_database() -> bool:
    import psycopg

    name = PG_URL.rsplit("/", 1)[1]
    server = PG_URL.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"ingestion benchmark skipped: no PostgreSQL at {server} ({exc})")
        return False
    return True


def main() -> int:
    if not ensure_database():
        return 0
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from apps.ingestion.models import PulledDay, SyncRun
    from apps.ingestion.pull import platform_pull_day
    from apps.ingestion.simulator import Faults, Simulator, SimulatorData
    from apps.ingestion.source import PlatformSource
    from apps.institutions.models import Institution
    from apps.platforms.models import Platform
    from apps.regions.models import Region
    from apps.uploads.models import DailyTotal, DailyUpload, MonthlyTableTotal, MonthlyTotal
    from apps.uploads.services import UPLOADS

    call_command("migrate", verbosity=0)
    platform, _ = Platform.objects.get_or_create(code="ingest", defaults={"name": "拉取基准平台"})
    region, _ = Region.objects.get_or_create(
        code="410000", defaults={"name": "河南省", "level": "province"}
    )
    have = Institution.objects.count()
    if have < N:
        Institution.objects.bulk_create(
            Institution(
                org_code=f"I{i:08d}",
                name=f"机构{i}",
                region=region,
                category="综合医院",
                grade="二级甲等",
            )
            for i in range(have, N)
        )
    codes = list(Institution.objects.order_by("org_code").values_list("org_code", flat=True)[:N])
    rng = random.Random(7)
    items = [
        {
            "org_code": code,
            "table_code": f"TB{t:03d}",
            "records": rng.randint(0, 50_000),
            "rejected": rng.randint(0, 20),
        }
        for code in codes
        for t in range(T)
    ]
    rows = len(items)

    def reset():
        for model in (DailyUpload, DailyTotal, MonthlyTableTotal, MonthlyTotal, PulledDay):
            model.objects.filter(platform=platform).delete()

    sim = Simulator(SimulatorData(days={DAY: items}), Faults(page_size=PAGE), token="bench")
    platform.api_url, platform.api_token = sim.start(), "bench"
    platform.save()
    print(
        f"PostgreSQL {connection.pg_version // 10000}: one day, {N} institutions × {T} tables = "
        f"{rows:,} rows, {(rows + PAGE - 1) // PAGE} pages of {PAGE}"
    )
    try:
        t0 = time.perf_counter()
        fetched = PlatformSource(platform.api_url, "bench").measure_day(UPLOADS, DAY)
        fetch = time.perf_counter() - t0
        assert sum(1 for _ in fetched.items) == rows

        reset()
        t0 = time.perf_counter()
        run = platform_pull_day(platform=platform, day=DAY)
        first = time.perf_counter() - t0
        assert run.outcome == SyncRun.Outcome.SUCCESS and run.rows_stored == rows, run.error
        assert DailyUpload.objects.filter(platform=platform, day=DAY).count() == rows

        t0 = time.perf_counter()
        again = platform_pull_day(platform=platform, day=DAY)
        skipped = time.perf_counter() - t0
        assert again.outcome == SyncRun.Outcome.SKIPPED

        sim.data.revise(DAY)  # every row one record more: the whole day replaced
        t0 = time.perf_counter()
        revised = platform_pull_day(platform=platform, day=DAY)
        replace = time.perf_counter() - t0
        assert revised.outcome == SyncRun.Outcome.SUCCESS
    finally:
        sim.stop()

    # The store alone (what the database does of a night): the day revised again.
    from django.db import transaction

    from apps.uploads.services import UploadRow, uploads_replace_day

    institution_ids = dict(Institution.objects.values_list("org_code", "pk"))
    again = [
        UploadRow(DAY, i["org_code"], i["table_code"], i["records"] + 2, i["rejected"])
        for i in items
    ]
    t0 = time.perf_counter()
    with transaction.atomic():
        stored = uploads_replace_day(
            platform=platform, day=DAY, rows=again, institution_ids=institution_ids
        )
    store = time.perf_counter() - t0
    assert stored.updated == rows, stored

    # The floor: COPY of the same rows into a table like DailyUpload.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (LIKE uploads_dailyupload INCLUDING ALL)")
        columns = "platform_id, institution_id, table_code, day, records, rejected"
        t0 = time.perf_counter()
        with cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:
            for item in items:
                copy.write_row(
                    (
                        platform.pk,
                        institution_ids[item["org_code"]],
                        item["table_code"],
                        DAY,
                        item["records"],
                        item["rejected"],
                    )
                )
        copy_time = time.perf_counter() - t0
        cursor.execute("SELECT count(*) FROM bench_copy")
        assert cursor.fetchone()[0] == rows
        cursor.execute("DROP TABLE bench_copy")

    def line(label, seconds, note=""):
        print(f"{label:<44} {seconds:7.2f} s  {rows / seconds:>10,.0f} rows/s  {note}")

    line("fetch only (HTTP + JSON, all pages)", fetch)
    line("nightly pull, first time (fetch + store)", first, f"{first / copy_time:5.1f}× COPY")
    line("nightly pull, revised day (replace all)", replace, f"{replace / copy_time:5.1f}× COPY")
    line("the same day revised again, the store alone", store, f"{store / copy_time:5.1f}× COPY")
    print(f"{'nightly pull, nothing newer (skipped)':<44} {skipped:7.2f} s")
    line("PostgreSQL COPY of the same rows (floor)", copy_time)
    goals.record(
        "revised-day",
        store,
        copy_time,
        "COPY of the same rows",
        f"one day, {N:,} × {T} tables, its month otherwise empty",
        f"{rows:,} rows",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
