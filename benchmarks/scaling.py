"""A province of villages, read through a replica: what docs/scaling.md builds on.

    make bench-scaling                 # build once, start a hot standby, measure, stop it
    BENCH_SCALING_URL=postgres://postgres@127.0.0.1:5432/hipwatch_scaling \\
    BENCH_SCALING_REPLICA_URL=postgres://postgres@127.0.0.1:5433/hipwatch_scaling \\
        python -m benchmarks.scaling [--rebuild]

The build: a province of 18 cities and 180 counties with 20,000 institutions on its
platform — 2,000 hospitals with a 100-table catalogue and 18,000 基层医疗卫生机构
(village clinics, township health centres) with a 10-table one — and the second
quarter of 2023, day by day (the province generator's sparsity: a hospital uploads
60–100 of its tables, a clinic 5–10, most days; 5% upload nothing). Daily rows
written with COPY and the roll-ups built in SQL, as in benchmarks/province.py.

The measure, on the replica: without BENCH_SCALING_REPLICA_URL a hot standby of
the local PostgreSQL is started for it (.ci/standby) and stopped after. For the
whole province and for one city, cold (the caches cleared), best of three:
- the figures (`period_figures`, as the pages call them) of a quarter, a month and
  a period of two partial months, each beside its floor — the roll-up rows it
  needs read alone (benchmarks.goals.rollup_reads), on the replica too;
- the dashboard of the province officer and of that city's officer, through
  Django's test client and ReplicaMiddleware, which sends its reads to the replica.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

URL = os.environ.get("BENCH_SCALING_URL", "postgres://postgres@127.0.0.1:5432/hipwatch_scaling")
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
ROOT = Path(__file__).resolve().parents[1]

CITIES, COUNTIES_PER_CITY = 18, 10
HOSPITALS, CLINICS = 2_000, 18_000
HOSPITAL_TABLES, CLINIC_TABLES = 100, 10
FIRST_DAY, LAST_DAY = dt.date(2023, 4, 1), dt.date(2023, 6, 30)
PLATFORM = "province"
PERIODS = (
    ("quarter", FIRST_DAY, LAST_DAY),
    ("month", dt.date(2023, 6, 1), LAST_DAY),
    ("partial", dt.date(2023, 5, 10), dt.date(2023, 6, 20)),
)
DASHBOARD_PERIOD = "2023Q2"


def ensure_database(rebuild: bool) -> bool:
    import psycopg

    name = URL.rsplit("/", 1)[1]
    server = URL.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
            if rebuild:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"scaling benchmark skipped: no PostgreSQL at {server} ({exc})")
        return False
    return True


def build_registry():
    """The province, its cities and counties, the institutions, the platform with
    its two catalogues, every institution connected. Returns the platform."""
    from django.core.management import call_command
    from django.db import transaction

    from apps.institutions.models import Institution
    from apps.platforms.models import (
        CatalogueTable,
        Connection,
        ConnectionChange,
        ConnectionStatus,
        Platform,
        TableEdition,
    )
    from apps.regions.models import Region

    call_command("migrate", verbosity=0)
    rng = random.Random(80_000)
    Category, Grade = Institution.Category, Institution.Grade
    hospital_kinds = [Category.GENERAL, Category.TCM, Category.MATERNAL, Category.SPECIALTY]
    with transaction.atomic():
        province = Region.objects.create(
            code="410000", name="河南省", level="province", path="410000/", position=0
        )
        cities = [
            Region.objects.create(
                code=f"41{c + 1:02d}00",
                name=f"第{c + 1}市",
                level="city",
                parent=province,
                path=f"410000/41{c + 1:02d}00/",
                position=c,
            )
            for c in range(CITIES)
        ]
        Region.objects.bulk_create(
            Region(
                code=f"{city.code[:4]}{n + 1:02d}",
                name=f"{city.name}第{n + 1}县",
                level="county",
                parent=city,
                path=f"{city.path}{city.code[:4]}{n + 1:02d}/",
                position=n,
            )
            for city in cities
            for n in range(COUNTIES_PER_CITY)
        )
        counties = list(Region.objects.filter(level="county"))
        Institution.objects.bulk_create(
            (
                Institution(
                    org_code=f"H{i:09d}",
                    name=f"第{i + 1}医院",
                    region=rng.choice(cities) if rng.random() < 0.3 else rng.choice(counties),
                    category=rng.choice(hospital_kinds),
                    grade=rng.choice([Grade.G3A, Grade.G2A, Grade.G2, Grade.G1]),
                )
                for i in range(HOSPITALS)
            ),
            batch_size=2000,
        )
        Institution.objects.bulk_create(
            (
                Institution(
                    org_code=f"J{i:09d}",
                    name=f"第{i + 1}卫生室",
                    region=rng.choice(counties),
                    category=Category.PRIMARY,
                    grade=Grade.UNGRADED,
                )
                for i in range(CLINICS)
            ),
            batch_size=2000,
        )
        platform = Platform.objects.create(
            code=PLATFORM, name="河南省全民健康信息平台", level=Platform.Level.PROVINCE
        )
        hospitals = TableEdition.objects.create(
            platform=platform,
            name="医院版",
            valid_from=dt.date(2022, 1, 1),
            categories=[str(c) for c in hospital_kinds],
        )
        clinics = TableEdition.objects.create(
            platform=platform,
            name="基层版",
            valid_from=dt.date(2022, 1, 1),
            categories=[str(Category.PRIMARY)],
        )
        CatalogueTable.objects.bulk_create(
            [
                *(
                    CatalogueTable(edition=hospitals, code=f"H{t:03d}", name=f"医院数据表{t}")
                    for t in range(HOSPITAL_TABLES)
                ),
                *(
                    CatalogueTable(edition=clinics, code=f"J{t:02d}", name=f"基层数据表{t}")
                    for t in range(CLINIC_TABLES)
                ),
            ]
        )
        Connection.objects.bulk_create(
            (
                Connection(institution=i, platform=platform, status=ConnectionStatus.CONNECTED)
                for i in Institution.objects.all()
            ),
            batch_size=2000,
        )
        ConnectionChange.objects.bulk_create(
            (
                ConnectionChange(
                    connection=c,
                    effective_date=dt.date(2022, 6, 1),
                    from_status=ConnectionStatus.NOT_CONNECTED,
                    to_status=ConnectionStatus.CONNECTED,
                    source="bench",
                )
                for c in Connection.objects.filter(platform=platform)
            ),
            batch_size=2000,
        )
    return platform


def sent_rows(org_code: str, pk: int, platform_id: int, days: list[str]):
    """One institution's daily rows as COPY lines: a hospital 60–100 of its 100
    tables, a clinic 5–10 of its 10, on most days; one in twenty sends nothing."""
    r = random.Random(org_code)
    if r.random() < 0.05:
        return
    if org_code.startswith("H"):
        tables = [f"H{t:03d}" for t in r.sample(range(HOSPITAL_TABLES), r.randint(60, 100))]
        day_share, size = r.uniform(0.85, 1.0), 900
    else:
        tables = [f"J{t:02d}" for t in r.sample(range(CLINIC_TABLES), r.randint(5, 10))]
        day_share, size = r.uniform(0.6, 0.95), 40
    prefix = f"{platform_id}\t{pk}\t"
    for day in days:
        if r.random() > day_share:
            continue
        for code in tables:
            if r.random() < 0.93:
                yield f"{prefix}{code}\t{day}\t{r.randint(1, size)}\t0\n"


def build() -> None:
    from django.db import connection

    from apps.institutions.models import Institution
    from apps.uploads.models import DailyUpload
    from benchmarks.province import rollups_from_daily

    t0 = time.perf_counter()
    platform = build_registry()
    print(f"registry built in {time.perf_counter() - t0:.1f} s", flush=True)
    days, day = [], FIRST_DAY
    while day <= LAST_DAY:
        days.append(day.isoformat())
        day += dt.timedelta(days=1)
    institutions = list(Institution.objects.order_by("org_code").values_list("org_code", "pk"))
    total, t1 = 0, time.perf_counter()
    with connection.cursor() as cursor:
        for start in range(0, len(institutions), 500):
            buffer = io.StringIO()
            for org_code, pk in institutions[start : start + 500]:
                for line in sent_rows(org_code, pk, platform.pk, days):
                    buffer.write(line)
                    total += 1
            with cursor.copy(
                f"COPY {DailyUpload._meta.db_table} "
                "(platform_id, institution_id, table_code, day, records, rejected) FROM STDIN"
            ) as copy:
                copy.write(buffer.getvalue())
        rollups_from_daily(cursor)
    print(f"{total:,} daily rows and roll-ups in {time.perf_counter() - t1:.1f} s", flush=True)


@contextlib.contextmanager
def on_replica():
    """Reads routed to the replica in one repeatable-read transaction, as
    ReplicaMiddleware does for a page."""
    from django.db import transaction

    from apps.core.routing import _reads

    token = _reads.set("replica")
    try:
        with transaction.atomic(using="replica"):
            yield
    finally:
        _reads.reset(token)


def measure() -> list[str]:
    from django.core.cache import cache
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from apps.core.routing import replica_replayed
    from apps.institutions.models import Institution
    from apps.metrics.figures import period_figures
    from apps.platforms.models import Platform
    from apps.regions.models import Region
    from benchmarks.goals import best_cold, officer_client, rollup_reads

    platform = Platform.objects.get(code=PLATFORM)
    province = Region.objects.get(code="410000")
    city = Region.objects.get(code="410100")
    scopes = (
        ("province", province, Institution.objects.all()),
        ("one city", city, Institution.objects.filter(region__path__startswith=city.path)),
    )
    lines = [
        f"{'scope':<10} {'period':<30} {'institutions':>12} {'figures':>9} {'floor':>9} "
        f"{'ratio':>6}  roll-up rows"
    ]
    for label, _region, institutions in scopes:
        ids = list(institutions.values_list("pk", flat=True))
        for kind, start, end in PERIODS:

            def figures(start=start, end=end, institutions=institutions):
                with on_replica():
                    period_figures(
                        institutions=institutions,
                        platform=platform,
                        start=start,
                        end=end,
                        with_scores=False,
                    )

            def floor(start=start, end=end, ids=None if label == "province" else ids):
                with on_replica():
                    return rollup_reads(platform, start, end, ids=ids, using="replica")

            with (
                CaptureQueriesContext(connections["default"]) as primary,
                CaptureQueriesContext(connections["replica"]) as replica,
            ):
                figures()
            assert replica.captured_queries and not primary.captured_queries, (
                f"the figures read the primary {len(primary)} times, the replica {len(replica)}"
            )
            now, least = best_cold(figures), best_cold(floor)
            counted = ", ".join(f"{what} {len(rows):,}" for what, rows in floor())
            period = f"{kind} {start}~{end}"
            lines.append(
                f"{label:<10} {period:<30} {len(ids):>12,} {now * 1000:7.0f}ms "
                f"{least * 1000:7.0f}ms {now / least:5.2f}×  {counted}"
            )
    province_officer = officer_client("bench-province", "province", province)
    city_officer = officer_client("bench-city", "city", city)
    replica_replayed(60)  # the officers and their sessions, before the replica reads them
    url = f"/dashboard/?platform={platform.code}&period={DASHBOARD_PERIOD}"
    for label, client in (("province", province_officer), ("one city", city_officer)):
        assert client.get(url).status_code == 200  # the first request imports the views
        # Counted as they run (a request empties the connections' query logs).
        counts = {"default": 0, "replica": 0}

        def counter(execute, sql, params, many, context, counts=counts):
            counts[context["connection"].alias] += 1
            return execute(sql, params, many, context)

        cache.clear()
        with (
            connections["default"].execute_wrapper(counter),
            connections["replica"].execute_wrapper(counter),
        ):
            assert client.get(url).status_code == 200
        seconds = best_cold(lambda client=client: client.get(url))
        lines.append(
            f"{label:<10} dashboard {DASHBOARD_PERIOD}, cold: {seconds * 1000:.0f} ms "
            f"({counts['replica']} queries on the replica, {counts['default']} on the primary: "
            "the session and the primary's WAL position)"
        )
    return lines


def database_size() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM uploads_dailyupload")
        rows = cursor.fetchone()[0]
        # A partitioned table's own size is nothing: its partitions hold the rows.
        cursor.execute(
            "SELECT COALESCE(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
            "WHERE inhparent = 'uploads_dailyupload'::regclass"
        )
        daily = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        whole = cursor.fetchone()[0]
    return (
        f"{rows:,} daily rows; uploads_dailyupload with its indexes {daily / 2**20:,.0f} MiB, "
        f"the database {whole / 2**20:,.0f} MiB"
    )


def run_step(step: str, env: dict | None = None) -> None:
    """A step in its own process: the replica's settings are read at start-up."""
    subprocess.run(
        [sys.executable, "-m", "benchmarks.scaling", step],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=True,
    )


def main() -> int:
    if "--build" in sys.argv or "--measure" in sys.argv:
        import django

        django.setup()
        if "--build" in sys.argv:
            from django.db import connection

            from apps.platforms.models import Platform

            tables = connection.introspection.table_names()
            if "platforms_platform" not in tables or not Platform.objects.filter(code=PLATFORM):
                build()
            print(database_size(), flush=True)
        else:
            print("\n".join(measure()), flush=True)
        return 0
    if not ensure_database("--rebuild" in sys.argv):
        return 0
    run_step("--build")
    replica = os.environ.get("BENCH_SCALING_REPLICA_URL")
    standby = None
    if not replica:
        standby = tempfile.mkdtemp(prefix="hipwatch-bench-standby.")
        port = subprocess.run(
            [str(ROOT / ".ci" / "standby"), "start", standby],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        replica = f"{URL.rsplit(':', 1)[0]}:{port}/{URL.rsplit('/', 1)[1]}"
        print(f"a hot standby of the local PostgreSQL on port {port}", flush=True)
    try:
        run_step("--measure", {"DATABASE_REPLICA_URL": replica})
    finally:
        if standby:
            subprocess.run([str(ROOT / ".ci" / "standby"), "stop", standby], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
