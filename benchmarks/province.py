"""A province at full size, on PostgreSQL, and the figures timed on it.

    make bench-province          # builds once (about 10 minutes), then measures
    BENCH_PROVINCE_URL=postgres://postgres@127.0.0.1:5432/hipwatch_province \\
        python -m benchmarks.province [--rebuild] [--only metrics,indicators,pdf,dashboard,ingest,rollups]
    python -m benchmarks.goals   # issue 13's table of the rows measured (benchmarks.goals)

The generator: 1 province, 17 cities, 160 counties, 2,000 institutions, a 100-table
edition, 365 days of 2023. Sparsity as commissions see it: about one institution in
ten never uploads (not connected, integrating, upstream, or connected and silent),
small hospitals upload a few tables on most days, large ones most tables every day.
Daily rows are written with COPY, then the two roll-ups are built in SQL from them,
as the storage service would have built them.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import sys
import time

from benchmarks import goals

URL = os.environ.get("BENCH_PROVINCE_URL", "postgres://postgres@127.0.0.1:5432/hipwatch_province")
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

CITIES, COUNTIES, INSTITUTIONS, TABLES = 17, 160, 2000, 100
YEAR = 2023
PLATFORM = "province"
SIZE = f"province, {INSTITUTIONS:,} institutions"


def ensure_database() -> bool:
    import psycopg

    name = URL.rsplit("/", 1)[1]
    server = URL.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"province benchmark skipped: no PostgreSQL at {server} ({exc})")
        return False
    return True


# The build ------------------------------------------------------------------------


def profile(rng: random.Random) -> tuple[str, int, float]:
    """(kind, tables uploaded, share of days with uploads) of one institution."""
    roll = rng.random()
    if roll < 0.04:
        return "silent", 0, 0.0
    if roll < 0.35:
        return "small", rng.randint(5, 45), rng.uniform(0.6, 0.95)
    if roll < 0.75:
        return "medium", rng.randint(40, 85), rng.uniform(0.85, 0.99)
    return "large", rng.randint(75, TABLES), rng.uniform(0.97, 1.0)


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
    rng = random.Random(2023)
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
        counties = []
        for n in range(COUNTIES):
            city = cities[n % CITIES]
            code = f"{city.code[:4]}{n // CITIES + 1:02d}"
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
        categories = [c for c in Institution.Category.values if c != "区域平台"]
        weights = [60, 12, 4, 8, 5, 3, 8][: len(categories)]
        weights += [2] * (len(categories) - len(weights))
        institutions = []
        for i in range(INSTITUTIONS):
            # About one in five sits directly under its city (市直), the rest in counties.
            region = cities[i % CITIES] if rng.random() < 0.2 else rng.choice(counties)
            institutions.append(
                Institution(
                    org_code=f"41{i:09d}",
                    name=f"{region.name}第{i}医院",
                    region=region,
                    category=rng.choices(categories, weights=weights)[0],
                    grade=rng.choice(["三级甲等", "二级甲等", "二级乙等", "二级"]),
                )
            )
        Institution.objects.bulk_create(institutions, batch_size=1000)
        platform = Platform.objects.create(
            code=PLATFORM, name="河南省全民健康信息平台", level=Platform.Level.PROVINCE
        )
        edition = TableEdition.objects.create(
            platform=platform, name=f"{YEAR}版", valid_from=dt.date(YEAR - 1, 1, 1)
        )
        CatalogueTable.objects.bulk_create(
            CatalogueTable(edition=edition, code=f"TB{t:03d}", name=f"数据表{t}")
            for t in range(TABLES)
        )
        institutions = list(Institution.objects.order_by("org_code"))
        profiles = {inst.pk: profile(random.Random(inst.org_code)) for inst in institutions}
        connections, changes = [], []
        for inst in institutions:
            kind = profiles[inst.pk][0]
            r = random.Random(inst.org_code + "c").random()
            if kind == "silent":
                status = [
                    ConnectionStatus.NOT_CONNECTED,
                    ConnectionStatus.INTEGRATING,
                    ConnectionStatus.UPSTREAM,
                    ConnectionStatus.CONNECTED,
                ][int(r * 4)]
            else:
                status = ConnectionStatus.CONNECTED
            connections.append(Connection(institution=inst, platform=platform, status=status))
        Connection.objects.bulk_create(connections, batch_size=1000)
        for conn in Connection.objects.filter(platform=platform):
            if conn.status == ConnectionStatus.NOT_CONNECTED:
                continue
            changes.append(
                ConnectionChange(
                    connection=conn,
                    effective_date=dt.date(YEAR - 1, 6, 1),
                    from_status=ConnectionStatus.NOT_CONNECTED,
                    to_status=conn.status,
                    source="bench",
                )
            )
        ConnectionChange.objects.bulk_create(changes, batch_size=1000)
    print(f"registry built in {time.perf_counter() - t0:.1f} s", flush=True)

    # Daily statistics, COPY'd in chunks of institutions.
    days = [dt.date(YEAR, 1, 1) + dt.timedelta(days=d) for d in range(365)]
    day_texts = [d.isoformat() for d in days]
    table = DailyUpload._meta.db_table
    total = 0
    t1 = time.perf_counter()
    with connection.cursor() as cursor:
        for start in range(0, len(institutions), 100):
            buffer = io.StringIO()
            for inst in institutions[start : start + 100]:
                kind, count, share = profiles[inst.pk]
                if not count:
                    continue
                r = random.Random(inst.org_code + "d")
                tables = r.sample(range(TABLES), count)
                sizes = {t: r.randint(5, 5000 if kind == "large" else 800) for t in tables}
                prefix = f"{platform.pk}\t{inst.pk}\t"
                for day_text in day_texts:
                    if r.random() > share:
                        continue
                    for t in tables:
                        if r.random() < 0.93:
                            records = int(sizes[t] * (0.5 + r.random()))
                            rejected = records // 200 if r.random() < 0.3 else 0
                            buffer.write(f"{prefix}TB{t:03d}\t{day_text}\t{records}\t{rejected}\n")
                            total += 1
            with cursor.copy(
                f"COPY {table} (platform_id, institution_id, table_code, day, records, rejected) "
                "FROM STDIN"
            ) as copy:
                copy.write(buffer.getvalue())
            print(f"  {start + 100} institutions, {total:,} rows", flush=True)
    print(f"{total:,} daily rows copied in {time.perf_counter() - t1:.1f} s", flush=True)

    t2 = time.perf_counter()
    with connection.cursor() as cursor:
        rollups_from_daily(cursor)
    print(f"roll-ups built in {time.perf_counter() - t2:.1f} s", flush=True)


def rollups_from_daily(cursor) -> None:
    """The roll-ups (per institution and day; per institution, table and month; per
    institution and month) built in SQL from the daily rows, as the storage service
    would have built them."""
    from apps.uploads.models import DailyTotal, DailyUpload
    from apps.uploads.rollups import monthly_totals_rebuild, table_months_rebuild

    table = DailyUpload._meta.db_table
    cursor.execute(
        f"INSERT INTO {DailyTotal._meta.db_table} "
        "(platform_id, institution_id, day, records, rejected, tables) "
        "SELECT platform_id, institution_id, day, SUM(records), SUM(rejected), "
        "SUM(CASE WHEN records > 0 THEN 1 ELSE 0 END) "
        f"FROM {table} GROUP BY platform_id, institution_id, day"
    )
    table_months_rebuild(cursor)
    monthly_totals_rebuild(cursor)
    cursor.execute("ANALYZE")


# The measurements ------------------------------------------------------------------


def best_of(fn, repeat=3):
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def measure_metrics(platform) -> list[tuple[str, float, str]]:
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from apps.institutions.models import Institution
    from apps.metrics.figures import period_figures
    from apps.metrics.periods import Period

    results = []
    for period in (Period.quarter(YEAR, 2), Period.year(YEAR)):

        def figures(period=period):
            cache.clear()  # the engine itself, not the figures cache
            return period_figures(
                institutions=Institution.objects.all(),
                platform=platform,
                start=period.start,
                end=period.end,
            )

        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            elapsed, fig = best_of(figures)
        rows = len(fig.rows)

        def floor(period=period):
            with connection.cursor() as cursor:
                cursor.execute(goals.FIGURES_FLOOR_SQL, [platform.pk, period.start, period.end])
                return cursor.fetchall()

        floor_time, _floor_rows = best_of(floor)
        cached_time, _ = best_of(
            lambda period=period: period_figures(
                institutions=Institution.objects.all(),
                platform=platform,
                start=period.start,
                end=period.end,
            )
        )
        goals.record(
            "figures-quarter" if period.key.endswith("Q2") else "figures-year",
            elapsed,
            floor_time,
            "one SQL aggregate over the daily rows",
            SIZE,
        )
        results.append(
            (
                f"figures of {period.key}, {rows} institutions",
                elapsed,
                f"{len(queries) // 3} queries; floor (one SQL aggregate over the daily rows) "
                f"{floor_time:.2f} s → {elapsed / floor_time:.2f}×; "
                f"cached repeat {cached_time * 1000:.0f} ms",
            )
        )
    return results


def measure_indicators(platform) -> list[tuple[str, float, str]]:
    """The figures of all 2,000 for a quarter and a year, alone and with the six
    indicators of the Jiangsu layout beside them (values, references, rates), cold;
    the indicators are built once (2,000 × 365 days × 6 through the storage service)."""
    from django.core.cache import cache

    from apps.indicators.models import Indicator
    from apps.institutions.models import Institution
    from apps.metrics.figures import period_figures
    from apps.metrics.indicators import indicator_values
    from apps.metrics.periods import Period
    from benchmarks.indicators import INDICATORS, build_indicators

    build_indicators(platform, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), batch_size=100)
    six = list(Indicator.objects.filter(code__in=INDICATORS))
    everyone = Institution.objects.all()
    results = []
    for period in (Period.quarter(YEAR, 2), Period.year(YEAR)):

        def alone(period=period):
            cache.clear()
            return period_figures(
                institutions=everyone, platform=platform, start=period.start, end=period.end
            )

        def both(period=period):
            alone(period)
            return indicator_values(
                institutions=everyone,
                platform=platform,
                start=period.start,
                end=period.end,
                indicators=six,
            )

        alone_time, _ = best_of(alone)
        both_time, values = best_of(both)
        goals.record(
            "indicators-quarter" if period.key.endswith("Q2") else "indicators-year",
            both_time,
            alone_time,
            "the figures alone",
            SIZE,
        )
        results.append(
            (
                f"figures + six indicators of {period.key}",
                both_time,
                f"{len(values)} institutions with values; figures alone {alone_time:.2f} s "
                f"→ {both_time / alone_time:.2f}×",
            )
        )
    return results


def measure_rollups(platform) -> list[tuple[str, float, str]]:
    """Issue 27: each figure beside the roll-up rows it needs, read alone — a
    quarter, the year, a period of two partial months — alone and with the six
    indicators (built by measure_indicators)."""
    from apps.indicators.models import Indicator
    from benchmarks.indicators import INDICATORS, build_indicators

    build_indicators(platform, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), batch_size=100)
    six = list(Indicator.objects.filter(code__in=INDICATORS))
    periods = (
        ("quarter", dt.date(YEAR, 4, 1), dt.date(YEAR, 6, 30)),
        ("year", dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)),
        ("partial", dt.date(YEAR, 4, 15), dt.date(YEAR, 6, 14)),
    )
    print("\neach figure beside its roll-up floor (best of three, cold):")
    for line in goals.rollup_rows(platform, SIZE, periods, six):
        print(line, flush=True)
    return []


def measure_ingestion(platform) -> list[tuple[str, float, str]]:
    """One night at province size: the last day of the year re-published by the
    platform (every figure revised), pulled over loopback HTTP from the simulator into
    this database, where the day's month already holds 30 days of rows; beside a
    COPY of the same rows into a table like DailyUpload."""
    from django.db import connection

    from apps.ingestion.models import PulledDay
    from apps.ingestion.pull import platform_pull_day
    from apps.ingestion.simulator import Faults, Simulator, SimulatorData
    from apps.institutions.models import Institution
    from apps.uploads.models import DailyUpload

    day = dt.date(YEAR, 12, 31)
    rows = list(
        DailyUpload.objects.filter(platform=platform, day=day).values_list(
            "institution__org_code", "table_code", "records", "rejected"
        )
    )
    items = [
        {"org_code": o, "table_code": t, "records": r + 1, "rejected": x} for o, t, r, x in rows
    ]
    PulledDay.objects.filter(platform=platform, day=day).delete()
    sim = Simulator(SimulatorData(days={day: items}), Faults(page_size=1000), token="bench")
    saved = (platform.api_url, platform.api_token)
    platform.api_url, platform.api_token = sim.start(), "bench"
    platform.save()
    try:
        t0 = time.perf_counter()
        run = platform_pull_day(platform=platform, day=day)
        pulled = time.perf_counter() - t0
    finally:
        sim.stop()
        platform.api_url, platform.api_token = saved
        platform.save()
    assert run.rows_stored == len(items), (run.outcome, run.error)
    ids = dict(Institution.objects.values_list("org_code", "pk"))
    # The store alone (what the database does of a night): the day revised again.
    from django.db import transaction

    from apps.uploads.services import UploadRow, uploads_replace_day

    again = [
        UploadRow(day, i["org_code"], i["table_code"], i["records"] + 1, i["rejected"])
        for i in items
    ]
    t0 = time.perf_counter()
    with transaction.atomic():
        result = uploads_replace_day(platform=platform, day=day, rows=again, institution_ids=ids)
    stored = time.perf_counter() - t0
    assert result.updated == len(items), result
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (LIKE uploads_dailyupload INCLUDING ALL)")
        t0 = time.perf_counter()
        with cursor.copy(
            "COPY bench_copy (platform_id, institution_id, table_code, day, records, rejected) "
            "FROM STDIN"
        ) as copy:
            for item in items:
                copy.write_row(
                    (
                        platform.pk,
                        ids[item["org_code"]],
                        item["table_code"],
                        day,
                        item["records"],
                        item["rejected"],
                    )
                )
        copied = time.perf_counter() - t0
        cursor.execute("DROP TABLE bench_copy")
    goals.record(
        "revised-day", stored, copied, "COPY of the same rows", SIZE, f"{len(items):,} rows"
    )
    return [
        (
            f"nightly pull of {day}, {len(items):,} rows (all revised)",
            pulled,
            f"{len(items) / pulled:,.0f} rows/s (fetched over HTTP, checked, stored); "
            f"COPY of the same rows {copied:.2f} s → {pulled / copied:.1f}×",
        ),
        (
            "the same day revised again, the store alone",
            stored,
            f"COPY {copied:.2f} s → {stored / copied:.1f}×",
        ),
    ]


def measure_pdf(platform) -> list[tuple[str, float, str]]:
    import resource

    from pypdf import PdfReader

    from apps.bulletins.content import bulletin_build
    from apps.bulletins.models import Bulletin
    from apps.bulletins.pdf import bulletin_pdf
    from apps.institutions.models import Institution
    from apps.regions.models import Region

    largest = max(
        Region.objects.filter(level="city"),
        key=lambda c: Institution.objects.filter(region__path__startswith=c.path).count(),
    )
    results = []
    for region in (largest, Region.objects.get(code="410000")):
        bulletin = Bulletin(
            platform=platform,
            region=region,
            period_start=dt.date(YEAR, 4, 1),
            period_end=dt.date(YEAR, 6, 30),
            period_label=f"{YEAR}年第二季度",
            number="基准〔2023〕1号",
            title=f"关于{YEAR}年第二季度{region.name}全民健康信息平台互联互通工作的通报",
            issuing_body=f"{region.name}卫生健康委员会",
            recipients="各有关单位",
            issue_date=dt.date(YEAR, 7, 5),
            opening="按照年度工作安排，现将有关情况通报如下。",
            requirements="（一）加快接入。",
            contacts="联系人：科技信息科",
        )
        t0 = time.perf_counter()
        content = bulletin_build(bulletin)
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        pdf = bulletin_pdf(content)
        rendered = time.perf_counter() - t0
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        # The province's attachment is laid out in two processes (apps.bulletins.pdf):
        # the forked child's peak beside this process's.
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        if region.level != "city":
            goals.record(
                "pdf",
                built + rendered,
                built,
                "its content alone",
                SIZE,
                f"{pages} pages, peak RSS {peak} MB, its layout child {child} MB (goal < 300 MB)",
            )
        results.append(
            (
                f"bulletin of {region.name} ({len(content['attachment'])} institutions)",
                built + rendered,
                f"content {built:.1f} s + PDF {rendered:.1f} s, {pages} pages, "
                f"{len(pdf) // 1024} KB, peak RSS {peak} MB (child {child} MB)",
            )
        )
    return results


def measure_dashboard(platform) -> list[tuple[str, float, str]]:
    """The province officer's dashboard of 2023 Q2, cold (the caches cleared before
    each request), beside its floor: the figures of the province alone, cold."""
    elapsed, floor = goals.dashboard_cold(platform, f"{YEAR}Q2")
    goals.record("dashboard", elapsed, floor, "the province's figures alone", SIZE)
    return [
        (
            f"dashboard of the province, {YEAR} Q2, cold",
            elapsed,
            f"its figures alone {floor:.2f} s → {elapsed / floor:.1f}×",
        )
    ]


def main() -> int:
    if not ensure_database():
        return 0
    import django

    django.setup()
    from apps.platforms.models import Platform

    only = set()
    for arg in sys.argv[1:]:
        if arg.startswith("--only"):
            only = set(arg.split("=", 1)[1].split(","))
    if "--rebuild" in sys.argv:
        import psycopg

        name = URL.rsplit("/", 1)[1]
        with psycopg.connect(URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    if not _tables_exist() or not Platform.objects.filter(code=PLATFORM).exists():
        build()
    platform = Platform.objects.get(code=PLATFORM)
    from apps.uploads.models import DailyUpload

    print(f"province: {DailyUpload.objects.filter(platform=platform).count():,} daily rows")
    results = []
    if not only or "metrics" in only:
        results += measure_metrics(platform)
    if not only or "indicators" in only:
        results += measure_indicators(platform)
    if not only or "pdf" in only:
        results += measure_pdf(platform)
    if not only or "dashboard" in only:
        results += measure_dashboard(platform)
    if not only or "ingest" in only:
        results += measure_ingestion(platform)
    if not only or "rollups" in only:
        results += measure_rollups(platform)
    for label, seconds, note in results:
        print(f"{label:<52} {seconds:7.2f} s  {note}")
    return 0


def _tables_exist() -> bool:
    from django.db import connection

    return "platforms_platform" in connection.introspection.table_names()


if __name__ == "__main__":
    sys.exit(main())
