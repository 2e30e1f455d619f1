"""How the cost of the figures grows with institutions and with days: a simulation
on this machine for docs/scaling.md (a country is 50,000 institutions × 5 years).

    BENCH_SCALING_URL=postgres://postgres@127.0.0.1:5432/hipwatch_scaling \\
        python -m benchmarks.scaling [--rebuild] [--compare-unpartitioned]

The build: 10,000 institutions under 20 cities and 200 counties, a 30-table edition,
the 30 days of June 2023; most institutions upload most of their tables every day
(the province generator's sparsity, fewer tables). Daily rows are written with COPY
and the roll-ups built in SQL, as in benchmarks/province.py. The measure: the cold
figures (period_figures, no cache) of the first N institutions for N = 1,250 …
10,000 over the 30 days, and of all 10,000 over 7, 14 and 30 days, each beside the
floor (one SQL aggregate over the same rows), best of three. With
--compare-unpartitioned the same again on plain copies of the daily tables swapped
in for the partitioned ones (what partitioning costs or saves the figures).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import sys
import time

URL = os.environ.get("BENCH_SCALING_URL", "postgres://postgres@127.0.0.1:5432/hipwatch_scaling")
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

CITIES, COUNTIES, INSTITUTIONS, TABLES = 20, 200, 10_000, 30
FIRST_DAY, DAYS = dt.date(2023, 6, 1), 30
PLATFORM = "country"


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


def build() -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

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
    from apps.uploads.models import DailyUpload

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(50_000)
    with transaction.atomic():
        country = Region.objects.create(
            code="100000", name="全国", level="province", path="100000/", position=0
        )
        cities = [
            Region.objects.create(
                code=f"1{c + 1:02d}000",
                name=f"第{c + 1}市",
                level="city",
                parent=country,
                path=f"100000/1{c + 1:02d}000/",
                position=c,
            )
            for c in range(CITIES)
        ]
        counties = []
        for n in range(COUNTIES):
            city = cities[n % CITIES]
            code = f"{city.code[:3]}{n // CITIES + 1:03d}"
            counties.append(
                Region(
                    code=code,
                    name=f"{city.name}第{n // CITIES + 1}县",
                    level="county",
                    parent=city,
                    path=f"{city.path}{code}/",
                    position=n // CITIES,
                )
            )
        Region.objects.bulk_create(counties)
        Institution.objects.bulk_create(
            (
                Institution(
                    org_code=f"1{i:010d}",
                    name=f"第{i}医院",
                    region=rng.choice(counties) if rng.random() > 0.2 else rng.choice(cities),
                    category="综合医院",
                    grade="二级甲等",
                )
                for i in range(INSTITUTIONS)
            ),
            batch_size=2000,
        )
        platform = Platform.objects.create(
            code=PLATFORM, name="全民健康信息平台", level=Platform.Level.PROVINCE
        )
        edition = TableEdition.objects.create(
            platform=platform, name="2023版", valid_from=dt.date(2022, 1, 1)
        )
        CatalogueTable.objects.bulk_create(
            CatalogueTable(edition=edition, code=f"TB{t:02d}", name=f"数据表{t}")
            for t in range(TABLES)
        )
        institutions = list(Institution.objects.order_by("org_code"))
        Connection.objects.bulk_create(
            (
                Connection(institution=i, platform=platform, status=ConnectionStatus.CONNECTED)
                for i in institutions
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
    print(f"registry built in {time.perf_counter() - t0:.1f} s", flush=True)

    days = [(FIRST_DAY + dt.timedelta(days=d)).isoformat() for d in range(DAYS)]
    table = DailyUpload._meta.db_table
    total = 0
    t1 = time.perf_counter()
    with connection.cursor() as cursor:
        for start in range(0, len(institutions), 500):
            buffer = io.StringIO()
            for inst in institutions[start : start + 500]:
                r = random.Random(inst.org_code)
                if r.random() < 0.05:
                    continue  # silent
                tables = r.sample(range(TABLES), r.randint(8, TABLES))
                prefix = f"{platform.pk}\t{inst.pk}\t"
                for day in days:
                    if r.random() > 0.95:
                        continue
                    for t in tables:
                        if r.random() < 0.93:
                            buffer.write(f"{prefix}TB{t:02d}\t{day}\t{r.randint(5, 900)}\t0\n")
                            total += 1
            with cursor.copy(
                f"COPY {table} (platform_id, institution_id, table_code, day, records, rejected) "
                "FROM STDIN"
            ) as copy:
                copy.write(buffer.getvalue())
        # Imported here: the module names its own database at import.
        from benchmarks.province import rollups_from_daily

        rollups_from_daily(cursor)
    print(f"{total:,} daily rows and roll-ups in {time.perf_counter() - t1:.1f} s", flush=True)


FLOOR_SQL = """
SELECT d.institution_id,
       count(DISTINCT d.table_code) FILTER (WHERE d.records > 0),
       sum(d.records), sum(d.rejected),
       count(DISTINCT d.day) FILTER (WHERE d.records > 0)
FROM uploads_dailyupload d
WHERE d.platform_id = %s AND d.day BETWEEN %s AND %s AND d.institution_id = ANY(%s)
GROUP BY d.institution_id
"""


def best_of(fn, repeat=3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(platform) -> list[tuple[str, float, float, float]]:
    """(scope, figures without scores, with scores, floor) per scope, cold, best of
    three. The scores compare each institution with the median of its city's
    peers, so with scores a part of a city costs the whole city's figures."""
    from django.core.cache import cache
    from django.db import connection

    from apps.institutions.models import Institution
    from apps.metrics.figures import period_figures

    ids = list(Institution.objects.order_by("org_code").values_list("pk", flat=True))

    def one(n: int, days: int) -> tuple[str, float, float, float]:
        chosen = ids[:n]
        end = FIRST_DAY + dt.timedelta(days=days - 1)

        def figures(with_scores: bool):
            cache.clear()
            period_figures(
                institutions=Institution.objects.filter(pk__in=chosen),
                platform=platform,
                start=FIRST_DAY,
                end=end,
                with_scores=with_scores,
            )

        def floor():
            with connection.cursor() as cursor:
                cursor.execute(FLOOR_SQL, [platform.pk, FIRST_DAY, end, chosen])
                cursor.fetchall()

        return (
            f"{n:>6,} institutions × {days:>2} days",
            best_of(lambda: figures(False)),
            best_of(lambda: figures(True)),
            best_of(floor),
        )

    rows = [one(n, DAYS) for n in (1250, 2500, 5000, 10_000)]
    rows += [one(INSTITUTIONS, d) for d in (7, 14)]
    return rows


def swap_plain(cursor, plain: bool) -> None:
    """Put plain copies of the partitioned daily tables in their place (plain=True),
    or the partitioned ones back."""
    from apps.core.partitions import PARTITIONED

    for table in PARTITIONED:
        if plain:
            cursor.execute(f"SELECT to_regclass('{table}_plain') IS NULL")
            if cursor.fetchone()[0]:
                cursor.execute(f"CREATE TABLE {table}_plain (LIKE {table} INCLUDING ALL)")
                cursor.execute(f"INSERT INTO {table}_plain SELECT * FROM {table}")
                cursor.execute(f"ANALYZE {table}_plain")
            cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_parted")
            cursor.execute(f"ALTER TABLE {table}_plain RENAME TO {table}")
        else:
            cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_plain")
            cursor.execute(f"ALTER TABLE {table}_parted RENAME TO {table}")


def main() -> int:
    if not ensure_database("--rebuild" in sys.argv):
        return 0
    import django

    django.setup()
    from django.db import connection

    from apps.platforms.models import Platform

    if (
        "platforms_platform" not in connection.introspection.table_names()
        or not Platform.objects.filter(code=PLATFORM).exists()
    ):
        build()
    platform = Platform.objects.get(code=PLATFORM)
    from apps.uploads.models import DailyUpload

    print(f"{DailyUpload.objects.filter(platform=platform).count():,} daily rows")
    with connection.cursor() as cursor:
        # A partitioned table's own size is nothing: its partitions hold the rows.
        cursor.execute(
            "SELECT COALESCE(sum(pg_total_relation_size(inhrelid)), 0) "
            "+ pg_total_relation_size('uploads_dailyupload') FROM pg_inherits "
            "WHERE inhparent = 'uploads_dailyupload'::regclass"
        )
        size = cursor.fetchone()[0]
    print(f"uploads_dailyupload with its indexes: {size / 2**20:,.0f} MiB")
    print(f"{'scope':<34} {'figures':>9} {'+scores':>9} {'floor':>8} {'ratio':>6}")
    results = measure(platform)
    for label, seconds, scored, floor in results:
        print(f"{label:<34} {seconds:8.2f}s {scored:8.2f}s {floor:7.2f}s {seconds / floor:6.2f}×")
    if "--compare-unpartitioned" in sys.argv:
        with connection.cursor() as cursor:
            swap_plain(cursor, plain=True)
        try:
            print("the same on plain (unpartitioned) copies of the daily tables:")
            for (label, seconds, _s, floor), (_l, plain, _ps, plain_floor) in zip(
                results, measure(platform), strict=True
            ):
                print(
                    f"{label:<34} {plain:8.2f}s {plain_floor:7.2f}s  partitioned/plain: "
                    f"figures {seconds / plain:4.2f}×, floor {floor / plain_floor:4.2f}×"
                )
        finally:
            with connection.cursor() as cursor:
                swap_plain(cursor, plain=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
