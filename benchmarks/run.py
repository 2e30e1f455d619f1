"""Benchmark of the metrics engine on synthetic statistics.

    make bench                                  # 200 institutions × 50 tables × 92 days
    BENCH_INSTITUTIONS=2000 BENCH_TABLES=100 make bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hipwatch_bench make bench

Builds (once, reused while the sizes match) a throwaway database named by
BENCH_DB (SQLite default: bench.sqlite3) through the real storage service, then
times `period_figures` for a quarter, a month and one institution.
"""

import datetime as dt
import os
import random
import resource
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{os.environ.get('BENCH_DB', 'bench.sqlite3')}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402

from apps.institutions.models import Institution  # noqa: E402
from apps.metrics.figures import period_figures  # noqa: E402
from apps.platforms.models import CatalogueTable, Platform, TableEdition  # noqa: E402
from apps.platforms.services import connection_set_status  # noqa: E402
from apps.regions.models import Region  # noqa: E402
from apps.uploads.models import DailyUpload  # noqa: E402
from apps.uploads.services import UploadRow, uploads_store  # noqa: E402
from benchmarks import goals  # noqa: E402
from benchmarks.indicators import INDICATORS, build_indicators  # noqa: E402

N = int(os.environ.get("BENCH_INSTITUTIONS", 200))
T = int(os.environ.get("BENCH_TABLES", 50))
START, END = dt.date(2023, 4, 1), dt.date(2023, 6, 30)


def build() -> Platform:
    """The synthetic database, built through the real storage service. Resumable:
    institutions already connected (and so already loaded) are skipped."""
    call_command("migrate", verbosity=0)
    platform, _ = Platform.objects.get_or_create(code="bench", defaults={"name": "基准平台"})
    province, _ = Region.objects.get_or_create(
        code="410000", defaults={"name": "河南省", "level": "province"}
    )
    cities = [
        Region.objects.get_or_create(
            code=f"41{c:02d}00", defaults={"name": f"市{c}", "level": "city", "parent": province}
        )[0]
        for c in range(1, 18)
    ]
    if not TableEdition.objects.filter(platform=platform).exists():
        edition = TableEdition.objects.create(
            platform=platform, name="bench", valid_from=dt.date(2023, 1, 1)
        )
        CatalogueTable.objects.bulk_create(
            CatalogueTable(edition=edition, code=f"TB{t:03d}", name=f"表{t}") for t in range(T)
        )
    if Institution.objects.count() < N:
        Institution.objects.bulk_create(
            Institution(
                org_code=f"B{i:08d}",
                name=f"机构{i}",
                region=cities[i % 17],
                category="综合医院",
                grade="二级甲等",
            )
            for i in range(Institution.objects.count(), N)
        )
    pending = list(Institution.objects.exclude(connections__platform=platform).order_by("org_code"))
    if pending:
        print(
            f"building {len(pending)} of {N} institutions × up to {T} tables × "
            f"{(END - START).days + 1} days …",
            flush=True,
        )
    for start in range(0, len(pending), 100):
        batch = pending[start : start + 100]
        rows = []
        for inst in batch:
            rng = random.Random(inst.org_code)
            tables = rng.sample(range(T), rng.randint(0, T))
            day = START
            while day <= END:
                if rng.random() < 0.9:
                    rows += [
                        UploadRow(day, inst.org_code, f"TB{t:03d}", rng.randint(1, 500), 0)
                        for t in tables
                    ]
                day += dt.timedelta(days=1)
        uploads_store(
            platform=platform, rows=rows, institution_ids={inst.org_code: inst.pk for inst in batch}
        )
        for inst in batch:  # connected last: marks the institution as loaded
            connection_set_status(
                institution=inst,
                platform=platform,
                status="connected",
                since=dt.date(2023, 1, 1),
                source="bench",
            )
        print(f"  {start + len(batch)} / {len(pending)}", flush=True)
    # The planner's statistics, as a deployment's database keeps them: without them
    # SQLite reads one institution's quarter through the (platform, day) index.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return platform


def timed(label, fn, repeat=3):
    from django.core.cache import cache

    best = None
    for _ in range(repeat):
        cache.clear()  # time the computation, not the figures' cache
        reset_queries()
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    print(f"{label:<40} {best * 1000:8.1f} ms   ({len(connection.queries)} queries)", flush=True)
    return result, best


def size() -> str:
    return f"city size, {N} × {T} tables × {(END - START).days + 1} days, {connection.vendor}"


def figures_floor(platform: Platform) -> float:
    """One hand-written aggregate over the quarter's daily rows (benchmarks.goals)."""

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(goals.FIGURES_FLOOR_SQL, [platform.pk, START, END])
            return cursor.fetchall()

    return goals.best_cold(floor)


def bench_dashboard(platform: Platform) -> None:
    """The province officer's dashboard of the quarter, cold, beside the province's
    figures alone."""
    page, floor = goals.dashboard_cold(platform, "2023Q2")
    print(f"{'dashboard of the province, cold':<40} {page * 1000:8.1f} ms", flush=True)
    goals.record("dashboard", page, floor, "the province's figures alone", size())


def bench_institution_page(platform: Platform) -> None:
    """One institution's page of the quarter, cold, beside the figures it shows
    computed alone (issue 25: within twice)."""
    page, floor = goals.institution_page_cold(platform, "2023Q2")
    print(f"{'an institution page, cold':<40} {page * 1000:8.1f} ms", flush=True)
    print(f"{'  its figures alone':<40} {floor * 1000:8.1f} ms ({page / floor:.2f}×)", flush=True)
    goals.record("institution-page", page, floor, "the figures it shows, alone", size())


def bench_bulletin(platform: Platform) -> None:
    """Build and render the bulletin of every institution (the province), as a
    commission would for its whole region: time and peak memory."""
    import io

    from pypdf import PdfReader

    from apps.bulletins.content import bulletin_build
    from apps.bulletins.models import Bulletin
    from apps.bulletins.pdf import bulletin_pdf

    bulletin = Bulletin(
        platform=platform,
        region=Region.objects.get(code="410000"),
        period_start=START,
        period_end=END,
        period_label="2023年第二季度",
        number="基准〔2023〕1号",
        title="关于2023年第二季度互联互通工作的通报",
        issuing_body="河南省卫生健康委员会",
        recipients="各市卫生健康委",
        issue_date=END,
        requirements="（一）加快接入。",
        contacts="联系人：信息科",
    )
    # Peak memory from the OS (tracemalloc would slow WeasyPrint several times over).
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    content = bulletin_build(bulletin)
    t1 = time.perf_counter()
    pdf = bulletin_pdf(content)
    t2 = time.perf_counter()
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'bulletin content, ' + str(len(content['attachment'])) + ' institutions':<40} {(t1 - t0) * 1000:8.1f} ms"
    )
    print(
        f"{'bulletin PDF':<40} {(t2 - t1) * 1000:8.1f} ms   ({pages} pages, {len(pdf) / 1024:.0f} KB)"
    )
    print(f"{'process peak RSS':<40} {rss:8.0f} MB   (before the bulletin {rss_before:.0f} MB)")
    goals.record(
        "pdf",
        t2 - t0,
        t1 - t0,
        "its content alone",
        size(),
        f"{pages} pages, peak RSS {rss:.0f} MB (goal < 300 MB)",
    )


def bench_font_subsetting() -> None:
    """A one-page document: our per-document HarfBuzz subset against handing
    WeasyPrint the whole 15 MB font (fast only where libharfbuzz-subset0 exists)."""
    from django.contrib.staticfiles import finders
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from apps.bulletins.pdf import html_to_pdf

    body = "<h1>信阳市卫生健康委员会</h1>" + "<p>浉河区、平桥区、罗山县互联互通情况通报。</p>" * 20
    html = f"<html><body style=\"font-family: 'Noto Serif SC'\">{body}</body></html>"
    t0 = time.perf_counter()
    html_to_pdf(html)
    ours = time.perf_counter() - t0
    fonts = FontConfiguration()
    path = finders.find("fonts/NotoSerifSC-Regular.ttf")
    whole = CSS(
        string=f'@font-face {{ font-family: "Noto Serif SC"; src: url("file://{path}"); }}',
        font_config=fonts,
    )
    t0 = time.perf_counter()
    HTML(string=html).write_pdf(stylesheets=[whole], font_config=fonts)
    theirs = time.perf_counter() - t0
    try:
        from weasyprint.text.ffi import harfbuzz_subset
    except ImportError:
        harfbuzz_subset = None
    system = "present" if harfbuzz_subset is not None else "absent"
    print(f"{'one page, font subset by us':<40} {ours * 1000:8.1f} ms")
    print(
        f"{'one page, whole font to WeasyPrint':<40} {theirs * 1000:8.1f} ms   (libharfbuzz-subset {system})"
    )


def bench_indicators(platform: Platform, everyone) -> None:
    """The quarter's figures alone, then with six indicators beside them (what a
    report in the Jiangsu layout reads): the ratio is in docs/benchmarks.md."""
    from apps.indicators.models import Indicator
    from apps.metrics.indicators import indicator_values

    build_indicators(platform, START, END)
    six = list(Indicator.objects.filter(code__in=INDICATORS))

    def both():
        period_figures(institutions=everyone, platform=platform, start=START, end=END)
        indicator_values(
            institutions=everyone, platform=platform, start=START, end=END, indicators=six
        )

    t0 = time.perf_counter()
    timed(
        "period_figures, quarter (again)",
        lambda: period_figures(institutions=everyone, platform=platform, start=START, end=END),
    )
    alone = time.perf_counter() - t0
    t0 = time.perf_counter()
    timed("figures + six indicators, quarter", both)
    together = time.perf_counter() - t0
    print(f"{'ratio with six indicators (3 runs each)':<40} {together / alone:8.2f}×", flush=True)
    goals.record("indicators-quarter", together, alone, "the figures alone", size())


def bench_rollups(platform: Platform) -> None:
    """Issue 27: each figure beside the roll-up rows it needs, read alone."""
    from apps.indicators.models import Indicator

    six = list(Indicator.objects.filter(code__in=INDICATORS))
    periods = (
        ("quarter", START, END),
        ("year", dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
        ("partial", dt.date(2023, 4, 15), dt.date(2023, 6, 14)),
    )
    print("each figure beside its roll-up floor (best of three, cold):", flush=True)
    for line in goals.rollup_rows(platform, size(), periods, six):
        print(line, flush=True)


def main() -> int:
    from django.conf import settings

    settings.DEBUG = True  # count queries
    platform = build()
    print(f"{connection.vendor}: {DailyUpload.objects.count():,} daily rows, {N} institutions")
    everyone = Institution.objects.all()
    _, quarter = timed(
        "period_figures, quarter, all",
        lambda: period_figures(institutions=everyone, platform=platform, start=START, end=END),
    )
    floor = figures_floor(platform)
    print(f"{'floor: one SQL aggregate, quarter':<40} {floor * 1000:8.1f} ms")
    goals.record("figures-quarter", quarter, floor, "one SQL aggregate over the daily rows", size())
    timed(
        "period_figures, month, all",
        lambda: period_figures(
            institutions=everyone,
            platform=platform,
            start=dt.date(2023, 5, 1),
            end=dt.date(2023, 5, 31),
        ),
    )
    bench_indicators(platform, everyone)
    bench_rollups(platform)
    one = Institution.objects.filter(pk=everyone.first().pk)
    timed(
        "period_figures, quarter, one institution",
        lambda: period_figures(institutions=one, platform=platform, start=START, end=END),
    )
    bench_dashboard(platform)
    bench_institution_page(platform)
    bench_font_subsetting()
    bench_bulletin(platform)
    return 0


if __name__ == "__main__":
    sys.exit(main())
