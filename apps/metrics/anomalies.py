"""Volume anomalies (异常波动), exactly as metrics.md defines them: a day's records of
an institution is an outlier when its modified z-score against the institution's
own previous 28 upload days **of the same kind** (working days, 调休 included, or
rest days: weekends and public holidays, from the State Council's calendar; a year
the calendar does not know yet: Monday–Friday), 0.6745 × (x − median) / MAD,
exceeds 3.5 in absolute value; MAD = 0: not computed; at least 14 previous upload
days of that kind are needed. Only days with uploads are judged (a day without any is
a silence, which the continuity figures and the silent alerts already count). The one
implementation: the dashboard, the institution page and the drop alerts read it."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from apps.core.calendar import calendar_knows, is_working_day
from apps.institutions.models import Institution
from apps.platforms.models import Platform
from apps.uploads.models import DailyTotal

from .figures import as_date, cache_key, data_span, fetch_rows

BASELINE_DAYS = 28
MIN_BASELINE_DAYS = 14
# Upload days read back per institution: 28 rest days lie among the last 98 days of
# an institution that uploads every day (two in seven are rest days).
LOOK_BACK = BASELINE_DAYS * 7 // 2
THRESHOLD = Decimal("3.5")
CONSTANT = Decimal("0.6745")


@dataclass(frozen=True)
class Anomaly:
    """One day's volume out of line with the institution's own baseline."""

    institution_id: int
    day: dt.date
    records: int
    median: Decimal
    z: Decimal  # rounded to two decimals, half up

    @property
    def drop(self) -> bool:
        """突降 (a fall); otherwise 突增 (a rise)."""
        return self.z < 0

    @property
    def working_day(self) -> bool:
        """Whether the day, and so its baseline, is a working day (else a rest day)."""
        return is_working_day(self.day)

    @property
    def share(self) -> Decimal | None:
        """The day's records as a percentage of the baseline's median."""
        return share_of(self.records, self.median)


def share_of(records: int, median: Decimal | None) -> Decimal | None:
    """records ÷ median × 100, one decimal, half up; None without a median (the
    alerts' texts of a drop say the same number as the dashboard)."""
    if not median:
        return None
    return (Decimal(records) * 100 / Decimal(median)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def modified_z(x: int, baseline: list[int]) -> tuple[Decimal, Decimal] | None:
    """(median, modified z-score) of `x` against `baseline` (its previous upload
    days, oldest first), or None when it cannot be computed: fewer than 14 days,
    or a MAD of zero. The z-score is exact (not rounded)."""
    if len(baseline) < MIN_BASELINE_DAYS:
        return None
    window = baseline[-BASELINE_DAYS:]
    median = Decimal(statistics.median(window))
    mad = Decimal(statistics.median([abs(Decimal(v) - median) for v in window]))
    if not mad:
        return None
    return median, CONSTANT * (Decimal(x) - median) / mad


def _beyond_threshold(x: int, baseline: list[int]) -> bool:
    """Whether `modified_z` may find |z| > THRESHOLD, in integers. The median is
    whole or a half, so M = 2·median is whole; the deviations |2v − M| = 2|v − median|
    are whole, and their median is 2·MAD, a whole or a half, so Q = 4·MAD is whole.
    Then z = 0.6745 × 2(2x − M) / Q, and |z| ≥ 3.5 reads 6745 × 2|2x − M| ≥ 35000 × Q.
    A province's dashboard judges 150,000 days; the exact Decimal z is computed for
    the few this lets through."""
    if len(baseline) < MIN_BASELINE_DAYS:
        return False
    window = baseline[-BASELINE_DAYS:]
    m = _twice_median(sorted(window))
    q = _twice_median(sorted([abs(2 * v - m) for v in window]))
    return bool(q) and 6745 * 2 * abs(2 * x - m) >= 35000 * q


def _twice_median(ordered: list[int]) -> int:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return 2 * ordered[middle]
    return ordered[middle - 1] + ordered[middle]


def volume_anomalies(
    *,
    institutions: QuerySet[Institution],
    platform: Platform,
    start: dt.date,
    end: dt.date,
    latest: int | None = None,
) -> dict[int, list[Anomaly]]:
    """Per institution id (those with any), the anomalous days of start..end, in
    order. Two queries (the period's upload days, and each institution's last 28
    before it; with `latest`, up to five for the last two weeks first: the scope's
    ids, their days, the baselines in up to three widening windows); cached
    under the data version like the figures. With `latest`, only the days from the
    last one back to the day on which the count of
    anomalies found reaches `latest` are judged (every anomaly of those days: what
    a panel of the latest ones shows, without judging a province's whole quarter);
    the last two weeks are read first, the whole period only when they hold fewer."""
    if end < start:
        raise ValueError("end before start")
    scope = institutions.filter(active=True)
    key = cache_key("anomalies", scope, platform, start, end, latest)
    cached = cache.get(key)
    if cached is not None:
        return cached
    uploaded = DailyTotal.objects.filter(
        platform=platform, institution__in=scope.values("pk"), records__gt=0
    )
    result = None
    if latest is not None:
        # The last two weeks first (and the 28 upload days before them): enough for
        # the latest anomalies of a province; the whole period only when not.
        recent = max(start, end - dt.timedelta(days=RECENT_DAYS - 1))
        ids = list(scope.values_list("pk", flat=True))
        first_day, _last = data_span(platform)
        series = _series(uploaded, recent, end, ids, first_day=first_day)
        found, complete = _judge(series, recent, latest)
        if complete or recent == start:
            result = found
    if result is None:
        result, _complete = _judge(_series(uploaded, start, end), start, latest)
    cache.set(key, result, settings.HIPWATCH_FIGURES_CACHE_SECONDS)
    return result


RECENT_DAYS = 14


def _last_upload_days(uploaded: QuerySet, before: dt.date) -> list[tuple]:
    """(institution, day, records) of each institution's last upload days before
    `before`: enough for 28 of each kind (LOOK_BACK)."""
    return fetch_rows(
        uploaded.filter(day__lt=before)
        .annotate(
            back=Window(RowNumber(), partition_by=[F("institution_id")], order_by=F("day").desc())
        )
        .filter(back__lte=LOOK_BACK)
        .values_list("institution_id", "day", "records")
    )


def _series(
    uploaded: QuerySet,
    start: dt.date,
    end: dt.date,
    institutions: Sequence[int] = (),
    first_day: dt.date | None = None,
) -> dict[int, list]:
    """Per institution, its upload days of start..end and the LOOK_BACK before
    start, (day, records), oldest first. Two queries; given the `institutions` of the
    scope, the LOOK_BACK before start are looked for in widening windows — the
    LOOK_BACK days before start, four times as many, then the whole history — each
    only for those with fewer in the one before, and none past the window that
    reaches the platform's `first_day` (a window over a province's whole history
    costs more than the rest, and an institution that uploads two days a week is
    found in the second)."""
    if institutions:
        before: list[tuple] = []
        found: set[int] = set()
        pending = list(institutions)
        for back in (LOOK_BACK, 4 * LOOK_BACK, None):
            window = uploaded
            if back is not None and first_day is not None:
                if start - dt.timedelta(days=back) <= first_day:
                    back = None  # this window holds the whole history already
            if back is not None:
                window = window.filter(day__gte=start - dt.timedelta(days=back))
            if found:  # the others named when they are few (an index walk each)
                window = (
                    window.filter(institution__in=pending)
                    if len(pending) <= 1000
                    else window.exclude(institution__in=found)
                )
            rows = _last_upload_days(window, start)
            counts = Counter(inst for inst, _day, _records in rows)
            enough = {i for i, n in counts.items() if back is None or n >= LOOK_BACK}
            before += [row for row in rows if row[0] in enough]
            found |= enough
            pending = [pk for pk in pending if pk not in found]
            if not pending or back is None:
                break
    else:
        before = _last_upload_days(uploaded, start)
    during = uploaded.filter(day__gte=start, day__lte=end).values_list(
        "institution_id", "day", "records"
    )
    series: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    # Straight from the cursor: a province's quarter is 180,000 rows of integers.
    for inst, day, records in [*before, *fetch_rows(during)]:
        series[inst].append((as_date(day), records))
    for days in series.values():
        days.sort()
    return series


def _judge(
    series: dict[int, list], start: dt.date, latest: int | None
) -> tuple[dict[int, list[Anomaly]], bool]:
    """The anomalies of the days from `start` on, and whether `latest` of them were
    found (the days judged from the last back, every anomaly of the last day judged)."""
    # Each institution's days split by kind: a day is judged against the days of its
    # own kind before it.
    by_kind: dict[tuple[int, bool], list] = defaultdict(list)
    for inst, days in series.items():
        for day, records in days:
            by_kind[(inst, is_working_day(day))].append((day, records))
    judged: dict[dt.date, list[tuple[tuple[int, bool], int]]] = defaultdict(list)
    for key, days in by_kind.items():
        for n, (day, _records) in enumerate(days):
            if day >= start:
                judged[day].append((key, n))
    found: dict[int, list[Anomaly]] = defaultdict(list)
    count = 0
    for day in sorted(judged, reverse=latest is not None):
        if latest is not None and count >= latest:
            break
        for key, n in judged[day]:
            inst = key[0]
            days = by_kind[key]
            records = days[n][1]
            baseline = [r for _d, r in days[max(0, n - BASELINE_DAYS) : n]]
            if not _beyond_threshold(records, baseline):
                continue
            scored = modified_z(records, baseline)
            if scored is None:
                continue
            median, z = scored
            if abs(z) > THRESHOLD:
                found[inst].append(
                    Anomaly(inst, day, records, median, z.quantize(Decimal("0.01"), ROUND_HALF_UP))
                )
                count += 1
    complete = latest is not None and count >= latest
    return {inst: sorted(days, key=lambda a: a.day) for inst, days in found.items()}, complete


def calendar_gaps(start: dt.date, end: dt.date) -> list[int]:
    """The years of start..end (and of the baseline before it) whose holidays the
    calendar does not know: their working days are Monday to Friday, as pages say."""
    first = (start - dt.timedelta(days=LOOK_BACK)).year
    return [year for year in range(first, end.year + 1) if not calendar_knows(year)]


def baseline_note(start: dt.date, end: dt.date) -> str:
    """How the days were judged, as pages say it under their tables: against days
    of the same kind, and which years fell back to Monday–Friday."""
    text = _(
        "Each day is compared with the institution's own last 28 upload days of the same "
        "kind: working days (make-up working days included) or rest days (weekends and "
        "public holidays)."
    )
    gaps = calendar_gaps(start, end)
    if gaps:
        text += " " + _(
            "The holiday calendar does not cover %(years)s yet: there, working days are "
            "Monday to Friday."
        ) % {"years": "、".join(str(y) for y in gaps)}
    return text
