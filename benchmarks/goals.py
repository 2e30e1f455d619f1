"""Issue 13's table, row by row, each beside its floor measured in the same run.

Every benchmark that measures a row of the table records it here (`record`); the
rows are kept in a file so that the benchmarks of one `make` target, each its own
process, fill one table, which the target's last step prints:

    python -m benchmarks.goals            # the table of the rows recorded so far
    python -m benchmarks.goals --reset    # forget them (each target starts with it)

A row not measured by the target that ran says so (city size has one quarter, no
year; pages under load need the province: `make bench-province`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

FILE = Path(
    os.environ.get(
        "BENCH_GOALS_FILE",
        Path(__file__).resolve().parents[1] / ".artifacts" / "benchmark-goals.json",
    )
)

# (key, the row, goal, unit of the goal): "s" — now ≤ goal seconds;
# "×" — now ≤ goal times the floor; "ms" — p50 ≤ goal and p95 ≤ second goal.
ROWS: tuple[tuple[str, str, float | tuple[float, float], str], ...] = (
    ("figures-quarter", "figures for all, a quarter, cold", 0.3, "s"),
    ("figures-year", "figures for all, a year, cold", 0.6, "s"),
    ("indicators-quarter", "the same with six indicators, a quarter", 1.3, "×"),
    ("indicators-year", "the same with six indicators, a year", 1.3, "×"),
    ("revised-day", "one night's revised day, the store", 3.0, "×"),
    ("list-load", "institution list, 20 clients back to back", (100.0, 200.0), "ms"),
    ("dashboard", "dashboard of the province, cold", 1.5, "s"),
    # Issue 25: the institution page within twice the figures it shows, computed alone.
    ("institution-page", "an institution's page, cold", 2.0, "×"),
    ("pdf", "province bulletin PDF", 8.0, "s"),
    # Issue 27: each figure within twice the roll-up rows it needs, read alone.
    ("rollup-quarter", "figures of a quarter / its roll-up rows", 2.0, "×"),
    ("rollup-year", "figures of a year / its roll-up rows", 2.0, "×"),
    ("rollup-partial", "figures, two partial months / their rows", 2.0, "×"),
    ("rollup-quarter-6", "the quarter with six indicators / rows", 2.0, "×"),
    ("rollup-year-6", "the year with six indicators / rows", 2.0, "×"),
    ("rollup-partial-6", "two partial months, six indicators / rows", 2.0, "×"),
)


# The floor: one hand-written aggregate over the same rows a period's figures read
# (per institution: catalogue tables with records, records, rejected, upload days).
FIGURES_FLOOR_SQL = """
SELECT d.institution_id,
       count(DISTINCT d.table_code) FILTER (WHERE d.records > 0),
       sum(d.records), sum(d.rejected),
       count(DISTINCT d.day) FILTER (WHERE d.records > 0)
FROM uploads_dailyupload d
WHERE d.platform_id = %s AND d.day BETWEEN %s AND %s
GROUP BY d.institution_id
"""


def rollup_reads(
    platform, start, end, indicators=(), *, ids: list[int] | None = None, using: str = "default"
) -> list[tuple[str, list]]:
    """The floor of a period's figures (issue 27): exactly the roll-up rows they
    need, read by one plain SELECT per roll-up table (and per partial month) on one
    connection, fetched as tuples — the per-institution month rows (MonthlyTotal)
    of the whole months, the table-month bitmaps (MonthlyTableTotal) and the daily totals (DailyTotal)
    of the partial months' days; with indicators, their year rows (IndicatorYear)
    and their daily values of the partial months. What a reader of these roll-ups
    cannot avoid: no figure can be computed from less. `ids`: only these
    institutions' rows (PostgreSQL); `using`: the database read. Returns (what, rows)."""
    import datetime as dt

    from django.db import connections

    from apps.core.calendar import full_months, month_end, month_start
    from apps.indicators.models import DailyIndicator, IndicatorYear
    from apps.uploads.models import DailyTotal, MonthlyTableTotal, MonthlyTotal

    months = full_months(start, end)
    if months:
        partial = [(month_start(start), months[0] - dt.timedelta(days=1))] * (start < months[0])
        if month_end(months[1]) < end:
            partial.append((month_start(end), end))
        partial = [(max(a, start), b) for a, b in partial]
    else:
        partial = [(start, end)]
    reads: list[tuple[str, str, list]] = []
    if months:
        reads.append(
            (
                "MonthlyTotal",
                f"SELECT institution_id, month, records, rejected, upload_days, tables, "
                f"silent_tables FROM {MonthlyTotal._meta.db_table} "
                f"WHERE platform_id = %s AND month >= %s AND month <= %s",
                [platform.pk, *months],
            )
        )
    for first, last in partial:
        reads.append(
            (
                "MonthlyTableTotal",
                f"SELECT institution_id, table_code, report_days, upload_days "
                f"FROM {MonthlyTableTotal._meta.db_table} WHERE platform_id = %s AND month = %s",
                [platform.pk, month_start(first)],
            )
        )
        reads.append(
            (
                "DailyTotal",
                f"SELECT institution_id, day, records, rejected FROM {DailyTotal._meta.db_table} "
                f"WHERE platform_id = %s AND day >= %s AND day <= %s",
                [platform.pk, first, last],
            )
        )
    if indicators:
        ids = [i.pk for i in indicators]
        marks = ", ".join(["%s"] * len(ids))
        reads.append(
            (
                "IndicatorYear",
                f"SELECT * FROM {IndicatorYear._meta.db_table} WHERE platform_id = %s "
                f"AND year >= %s AND year <= %s AND indicator_id IN ({marks})",
                [platform.pk, start.year, end.year, *ids],
            )
        )
        for first, last in partial:
            reads.append(
                (
                    "DailyIndicator",
                    f"SELECT institution_id, indicator_id, day, value "
                    f"FROM {DailyIndicator._meta.db_table} WHERE platform_id = %s "
                    f"AND day >= %s AND day <= %s AND indicator_id IN ({marks})",
                    [platform.pk, first, last, *ids],
                )
            )
    with connections[using].cursor() as cursor:
        out = []
        for what, sql, params in reads:
            if ids is not None:
                sql, params = f"{sql} AND institution_id = ANY(%s)", [*params, ids]
            cursor.execute(sql, params)
            out.append((what, cursor.fetchall()))
    return out


def rollup_rows(platform, size: str, periods, indicators) -> list[str]:
    """Each period's figures, cold (best of three), alone and with `indicators`,
    beside the roll-up rows they need read alone (best of three), recorded as the
    rows rollup-<kind>[-6] of the table. `periods`: (kind, start, end), kind one of
    quarter, year, partial. Returns the lines to print."""
    from apps.institutions.models import Institution
    from apps.metrics.figures import period_figures
    from apps.metrics.indicators import indicator_values

    everyone = Institution.objects.all()
    lines = []
    for kind, start, end in periods:
        for six in ((), tuple(indicators)):

            def figures(start=start, end=end, six=six):
                period_figures(institutions=everyone, platform=platform, start=start, end=end)
                if six:
                    indicator_values(
                        institutions=everyone,
                        platform=platform,
                        start=start,
                        end=end,
                        indicators=list(six),
                    )

            now = best_cold(figures)
            rows = rollup_reads(platform, start, end, six)
            floor = best_cold(
                lambda start=start, end=end, six=six: rollup_reads(platform, start, end, six)
            )
            key = f"rollup-{kind}" + ("-6" if six else "")
            counted = ", ".join(f"{what} {len(r):,}" for what, r in rows)
            record(key, now, floor, f"its roll-up rows read alone: {counted}", size)
            label = f"{kind} {start}~{end}" + (" + six indicators" if six else "")
            lines.append(
                f"{label:<48} {now * 1000:8.1f} ms  roll-up floor {floor * 1000:7.1f} ms "
                f"→ {now / floor:.2f}×  ({counted})"
            )
    return lines


def best_cold(fn, repeat: int = 3) -> float:
    """The best of `repeat` runs of `fn`, each after the caches are cleared: seconds."""
    import time

    from django.core.cache import cache

    times = []
    for _ in range(repeat):
        cache.clear()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def officer_client(username: str, role: str, region):
    """Django's test client signed in as an officer of `role` over `region` (the
    user created once)."""
    from django.conf import settings
    from django.test import Client

    from apps.accounts.models import User

    user, _ = User.objects.get_or_create(
        username=username, defaults={"role": role, "region": region}
    )
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(user)
    return client


def province_client():
    """Django's test client signed in as a province officer of region 410000."""
    from apps.regions.models import Region

    return officer_client("bench-province", "province", Region.objects.get(code="410000"))


def dashboard_cold(platform, period: str, repeat: int = 3) -> tuple[float, float]:
    """(the province officer's dashboard of `period`, its figures alone): each the
    best of `repeat` runs, cold (the caches cleared before each), seconds. Through
    Django's test client logged in as a province officer of region 410000."""

    from apps.institutions.models import Institution
    from apps.metrics.figures import period_figures
    from apps.metrics.periods import Period

    client = province_client()
    url = f"/dashboard/?platform={platform.code}&period={period}"
    assert client.get(url).status_code == 200  # the first request imports the views
    span = Period.parse(period)

    def page():
        assert client.get(url).status_code == 200

    def figures():
        period_figures(
            institutions=Institution.objects.all(),
            platform=platform,
            start=span.start,
            end=span.end,
            with_scores=False,
        )

    return best_cold(page, repeat), best_cold(figures, repeat)


def institution_page_cold(platform, period: str, repeat: int = 3) -> tuple[float, float]:
    """(an institution's page of `period`, the figures it shows computed alone):
    each the best of `repeat` runs, cold, seconds. The figures: the institution's for
    the period and the one before, its last four quarters, and its indicators for the
    period, the one before and the last twelve months (the metrics module's own
    calls, one reader for the quarters, one series for the months)."""

    from apps.indicators.models import Indicator
    from apps.institutions.models import Institution
    from apps.metrics.figures import FiguresReader, period_figures
    from apps.metrics.indicators import indicator_months, indicator_values
    from apps.metrics.periods import Period

    client = province_client()
    institution = Institution.objects.order_by("org_code").first()
    url = f"/institutions/{institution.org_code}/?platform={platform.code}&period={period}"
    assert client.get(url).status_code == 200
    span = Period.parse(period)
    one = Institution.objects.filter(pk=institution.pk)

    def page():
        assert client.get(url).status_code == 200

    def figures():
        indicators = list(Indicator.objects.all())
        for p in (span, span.previous()):
            period_figures(institutions=one, platform=platform, start=p.start, end=p.end)
            indicator_values(
                institutions=one, platform=platform, start=p.start, end=p.end, indicators=indicators
            )
        quarters = [Period.containing_quarter(span.end)]
        for _n in range(3):
            quarters.append(quarters[-1].previous_quarter())
        reader = FiguresReader(institutions=one, platform=platform)
        reader.prefetch(quarters[-1].start, quarters[0].end)
        for q in quarters:
            reader.figures(q.start, q.end)
        indicator_months(
            institutions=one,
            platform=platform,
            months=[m.start for m in span.months_to_end(12)],
            indicators=indicators,
        )

    return best_cold(page, repeat), best_cold(figures, repeat)


def _load() -> dict:
    try:
        return json.loads(FILE.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def record(key: str, now, floor: float, floor_what: str, size: str, note: str = "") -> None:
    """One row measured: `now` in seconds (for "list-load": (p50, p95) in ms), its
    floor in the same unit as now's first value, what the floor is, the size it
    was measured at (e.g. "province, 2,000 institutions")."""
    if key not in {k for k, *_ in ROWS}:
        raise KeyError(key)
    rows = _load()
    rows[key] = {"now": now, "floor": floor, "floor_what": floor_what, "size": size, "note": note}
    FILE.parent.mkdir(parents=True, exist_ok=True)
    FILE.write_text(json.dumps(rows, ensure_ascii=False, indent=1))


def reset() -> None:
    FILE.unlink(missing_ok=True)


def _line(label: str, goal, unit: str, row: dict) -> str:
    now, floor = row["now"], row["floor"]
    if unit == "ms":
        p50, p95 = now
        met = p50 < goal[0] and p95 < goal[1]
        measured = f"p50 {p50:.0f} / p95 {p95:.0f} ms"
        ratio = f"{p50 / floor:.0f}× (p50)"
        target = f"p50 < {goal[0]:g} / p95 < {goal[1]:g} ms"
    else:
        measured = f"{now:.2f} s" if now >= 0.1 else f"{now * 1000:.1f} ms"
        ratio = f"{now / floor:.2f}×"
        met = now / floor <= goal if unit == "×" else now <= goal
        target = f"≤ {goal:g}× the floor" if unit == "×" else f"≤ {goal:g} s"
    floor_text = f"{floor:.2f} s" if unit != "ms" and floor >= 0.1 else f"{floor * 1000:.1f} ms"
    if unit == "ms":
        floor_text = f"{floor:.1f} ms"
    verdict = "met" if met else "NOT met"
    if unit != "×" and not row["size"].startswith("province"):
        verdict = "a goal for the province's size (make bench-province)"
    note = f"; {row['note']}" if row.get("note") else ""
    return (
        f"  {label:<44} {measured:>22}  floor {floor_text} ({row['floor_what']}) → {ratio}"
        f"  goal {target}: {verdict}  [{row['size']}{note}]"
    )


def report() -> None:
    rows = _load()
    print("\nissue 13's table (each row beside its floor, measured in this run):")
    for key, label, goal, unit in ROWS:
        if key in rows:
            print(_line(label, goal, unit, rows[key]))
        else:
            print(f"  {label:<44} {'not measured':>22}  (make bench-province measures every row)")


if __name__ == "__main__":
    if "--reset" in sys.argv:
        reset()
    else:
        report()
