"""Six business indicators for every institution of a benchmark database (three
flows, three stocks), with monthly references, written through the real storage
service: what a report in the Jiangsu layout reads. Shared by `benchmarks.run`
(a city's quarter) and `benchmarks.province` (a province's year)."""

from __future__ import annotations

import datetime as dt
import random
import time

INDICATORS = (
    "outpatient_visits",
    "discharges",
    "lab_exam_reports",
    "ehr_basic",
    "ehr_hypertension",
    "ehr_diabetes",
)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def build_indicators(platform, start: dt.date, end: dt.date, batch_size: int = 200) -> None:
    """Values for every day of start..end and a reference per month. Built once:
    nothing is written when the platform has indicator values already."""
    from apps.indicators.models import DailyIndicator, Indicator, Reference
    from apps.indicators.services import (
        IndicatorRow,
        indicator_defaults_ensure,
        indicator_years_refresh,
        indicators_store,
    )
    from apps.institutions.models import Institution

    if DailyIndicator.objects.filter(platform=platform).exists():
        return
    indicator_defaults_ensure()
    ids = dict(Indicator.objects.filter(code__in=INDICATORS).values_list("code", "pk"))
    institutions = list(Institution.objects.order_by("org_code"))
    days = (end - start).days + 1
    print(f"building 6 indicators × {len(institutions)} institutions × {days} days …", flush=True)
    t0 = time.perf_counter()
    for first in range(0, len(institutions), batch_size):
        batch = institutions[first : first + batch_size]
        rows, references = [], []
        for inst in batch:
            rng = random.Random("indicators:" + inst.org_code)
            visits, held = rng.randint(100, 5000), [rng.randint(10_000, 500_000) for _ in range(3)]
            day = start
            while day <= end:
                rows.append(IndicatorRow(day, inst.org_code, "outpatient_visits", visits))
                rows.append(IndicatorRow(day, inst.org_code, "discharges", visits // 30))
                rows.append(IndicatorRow(day, inst.org_code, "lab_exam_reports", visits // 2))
                for code, base in zip(INDICATORS[3:], held, strict=True):
                    rows.append(IndicatorRow(day, inst.org_code, code, base + (day - start).days))
                day += dt.timedelta(days=1)
            for month in _months(start, end):
                for code in INDICATORS:
                    references.append(
                        Reference(
                            platform=platform,
                            institution=inst,
                            indicator_id=ids[code],
                            span=Reference.Span.MONTH,
                            start=month,
                            value=visits * 40 if code in INDICATORS[:3] else 600_000,
                        )
                    )
        indicators_store(
            platform=platform,
            rows=rows,
            institution_ids={inst.org_code: inst.pk for inst in batch},
            indicator_ids=ids,
        )
        # Written in bulk, not through references_import (one row at a time, audited):
        # the year rows are brought along as that service would.
        Reference.objects.bulk_create(references)
        indicator_years_refresh(
            platform, {(inst.pk, month.year) for inst in batch for month in _months(start, end)}
        )
    print(
        f"  {len(institutions) * days * 6:,} values in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    # As autovacuum would have by morning: the planner's statistics of what was
    # written (without them it walks 18,000 index entries one by one).
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
