"""Writing indicator values and references. Every write of daily values goes
through `indicators_store` (files) or `indicators_replace_day` (the nightly pull),
which keep the monthly roll-up and move the data version in the same transaction."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _

from apps.audit.models import AuditEvent
from apps.audit.services import audit_import, audit_record
from apps.core.bulk import rows_upsert
from apps.core.calendar import month_end, month_start
from apps.core.results import ImportResult
from apps.core.tabular import FIRST_DAY, LAST_DAY, FileRefused, parse_count, read_rows
from apps.core.versioning import data_changed
from apps.institutions.models import Institution
from apps.institutions.services import institution_ids_of_rows, is_valid_org_code
from apps.measures.kinds import Measure, Value
from apps.measures.pipeline import (
    code_ids_of_rows,
    measure_import,
    measure_replace_day,
    measure_store,
)
from apps.platforms.models import Platform
from apps.regions.models import Region

from .models import DailyIndicator, Indicator, IndicatorYear, MonthlyIndicator, Reference
from .years import months_refresh, years_rebuild

REFERENCE_COLUMNS = {
    "period": ["期间"],
    "org_code": ["机构代码"],
    "indicator": ["指标代码"],
    "value": ["应报数"],
    "source": ["来源"],
}
INDICATOR_CODE_RE = re.compile(r"^[a-z0-9_]{1,64}$")
PERIOD_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?$", re.ASCII)


def is_valid_indicator_code(code: str) -> bool:
    return bool(INDICATOR_CODE_RE.match(code))


@dataclass(frozen=True)
class IndicatorRow:
    day: dt.date
    org_code: str
    indicator: str
    value: int
    row: int | None = None


def indicators_import(
    *, source: str | Path | bytes, platform: Platform, within: Region | None = None
) -> ImportResult:
    """Load daily indicator values (date, org_code, indicator, value). Unknown
    institutions or indicators, and for an officer institutions outside their region,
    refuse the file; nothing is written on refusal."""
    return measure_import(INDICATORS, source=source, platform=platform, within=within)


def indicators_store(
    *,
    platform: Platform,
    rows: Iterable[IndicatorRow],
    institution_ids: dict[str, int],
    indicator_ids: dict[str, int],
) -> ImportResult:
    """Write checked rows: new keys are added, changed values replace the stored
    ones (a later export wins), equal ones are left alone. The monthly roll-up is
    brought up to date."""
    return measure_store(
        INDICATORS,
        platform=platform,
        rows=rows,
        institution_ids=institution_ids,
        code_ids=indicator_ids,
    )


def indicators_replace_day(
    *,
    platform: Platform,
    day: dt.date,
    rows: Sequence[IndicatorRow],
    institution_ids: dict[str, int],
    indicator_ids: dict[str, int],
) -> ImportResult:
    """Replace everything stored for one platform and day by `rows` (a platform's
    complete, newer figures for that day): what the new figures lack is deleted."""
    return measure_replace_day(
        INDICATORS,
        platform=platform,
        day=day,
        rows=rows,
        institution_ids=institution_ids,
        code_ids=indicator_ids,
    )


def _roll_up(platform: Platform, written: list[tuple], gone: list[tuple]) -> None:
    _write(
        platform,
        [(inst, ind, day, new[0], old[0] if old else 0) for inst, ind, day, new, old in written],
        gone=[(inst, ind, day, old[0]) for inst, ind, day, old in gone],
    )


def _write(
    platform: Platform,
    written: list[tuple[int, int, dt.date, int, int]],
    gone: list[tuple[int, int, dt.date, int]] = (),
) -> None:
    """Store (institution, indicator, day, value, old value) rows and bring the
    monthly roll-up along: each month gets the difference of its sum and, where a
    written day is its latest, that day's value. A month that lost a day is rebuilt
    from its rows (rare: only a revised day deletes)."""
    if not written and not gone:
        return
    data_changed()  # bulk writes fire no signals: the figures' cache must hear of them
    _write_daily_rows(
        platform, [(inst, ind, day, value) for inst, ind, day, value, _old in written]
    )
    months: dict[tuple[int, int, dt.date], list] = {}
    for inst, ind, day, value, old in written:
        entry = months.setdefault((inst, ind, month_start(day)), [0, day, value])
        entry[0] += value - old
        if day >= entry[1]:
            entry[1], entry[2] = day, value
    table = MonthlyIndicator._meta.db_table
    upsert = (
        f"INSERT INTO {table} "
        "(platform_id, institution_id, indicator_id, month, total, last_day, last_value) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (platform_id, institution_id, indicator_id, month) DO UPDATE SET "
        f"total = {table}.total + excluded.total, "
        f"last_value = CASE WHEN excluded.last_day >= {table}.last_day "
        f"THEN excluded.last_value ELSE {table}.last_value END, "
        f"last_day = CASE WHEN excluded.last_day >= {table}.last_day "
        f"THEN excluded.last_day ELSE {table}.last_day END"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            upsert,
            [
                (platform.pk, inst, ind, month, total, last_day, last_value)
                for (inst, ind, month), (total, last_day, last_value) in months.items()
            ],
        )
    rebuild = {(inst, ind, month_start(day)) for inst, ind, day, _value in gone}
    for inst, ind, month in rebuild:
        _month_rebuild(platform, inst, ind, month)
    months_refresh(
        year_model=IndicatorYear,
        monthly_model=MonthlyIndicator,
        platform_id=platform.pk,
        keys={(inst, month) for inst, _ind, month in months}
        | {(inst, month) for inst, _ind, month in rebuild},
    )


def indicator_years_refresh(platform: Platform, keys: Iterable[tuple[int, int]]) -> None:
    """Rebuild the year rows (IndicatorYear) of (institution id, year) `keys` from
    the monthly roll-up and the references: what a write of references calls in its
    transaction (and a bulk load that wrote them directly); a write of daily values
    brings only its months along (`months_refresh`)."""
    years_rebuild(
        year_model=IndicatorYear,
        monthly_model=MonthlyIndicator,
        reference_model=Reference,
        platform_id=platform.pk,
        keys=keys,
    )


def _write_daily_rows(platform: Platform, rows: list[tuple]) -> None:
    """Insert or update (institution id, indicator id, day, value) rows, without a
    model instance per row (COPY on PostgreSQL)."""
    with transaction.atomic(), connection.cursor() as cursor:
        rows_upsert(
            cursor,
            table=DailyIndicator._meta.db_table,
            columns=DAILY_COLUMNS,
            key=("platform_id", "institution_id", "indicator_id", "day"),
            rows=[(platform.pk, *row) for row in rows],
            stage="hipwatch_indicator_stage",
        )


DAILY_COLUMNS = (
    ("platform_id", "bigint"),
    ("institution_id", "bigint"),
    ("indicator_id", "bigint"),
    ("day", "date"),
    ("value", "bigint"),
)


def _month_rebuild(platform: Platform, inst: int, ind: int, month: dt.date) -> None:
    rows = list(
        DailyIndicator.objects.filter(
            platform=platform,
            institution_id=inst,
            indicator_id=ind,
            day__gte=month,
            day__lte=month_end(month),
        )
        .order_by("day")
        .values_list("day", "value")
    )
    key = {"platform": platform, "institution_id": inst, "indicator_id": ind, "month": month}
    if not rows:
        MonthlyIndicator.objects.filter(**key).delete()
        return
    MonthlyIndicator.objects.update_or_create(
        **key,
        defaults={
            "total": sum(value for _day, value in rows),
            "last_day": rows[-1][0],
            "last_value": rows[-1][1],
        },
    )


def parse_reference_period(text: str) -> tuple[str, dt.date] | None:
    """ "2023-05" → (month, 2023-05-01); "2023" → (year, 2023-01-01); None otherwise."""
    match = PERIOD_RE.match(text.strip())
    if not match or not FIRST_DAY.year <= int(match[1]) <= LAST_DAY.year:
        return None
    if match[2] is None:
        return Reference.Span.YEAR, dt.date(int(match[1]), 1, 1)
    if not 1 <= int(match[2]) <= 12:
        return None
    return Reference.Span.MONTH, dt.date(int(match[1]), int(match[2]), 1)


@transaction.atomic
def references_import(
    *, source: str | Path | bytes, platform: Platform, within: Region | None = None, user=None
) -> ImportResult:
    """Load references (period, org_code, indicator, value, source): 应报数 per
    institution, indicator and month or year. A later value for a key replaces the
    earlier one, and the replacement is audited with both values; the same file
    again changes nothing."""
    rows = read_rows(
        source,
        REFERENCE_COLUMNS,
        optional=("source",),
        max_lengths={"source": Reference._meta.get_field("source").max_length},
    )
    problems: list[str] = []
    parsed = []
    seen: dict[tuple, int] = {}
    for row in rows:
        v = row.values
        row_problems = []
        period = parse_reference_period(v["period"])
        if period is None:
            row_problems.append(
                _("Unrecognised period “%(value)s”: write a month (2023-05) or a year (2023).")
                % {"value": v["period"]}
            )
        if not is_valid_org_code(v["org_code"]):
            row_problems.append(
                _("Institution code “%(code)s” is malformed.") % {"code": v["org_code"]}
            )
        if not is_valid_indicator_code(v["indicator"]):
            row_problems.append(
                _("Indicator code “%(code)s” is malformed.") % {"code": v["indicator"]}
            )
        value = parse_count(v["value"])
        if value is None:
            row_problems.append(
                _("Reference “%(value)s” should be 0 or a positive whole number.")
                % {"value": v["value"]}
            )
        if not row_problems:
            key = (period, v["org_code"], v["indicator"])
            if key in seen:
                row_problems.append(
                    _("Repeats row %(other)d (same period, institution and indicator).")
                    % {"other": seen[key]}
                )
            seen[key] = row.number
        if row_problems:
            where = _("Row %(row)d: ") % {"row": row.number}
            problems.extend(where + p for p in row_problems)
        else:
            parsed.append(
                (row.number, period, v["org_code"], v["indicator"], value, v.get("source", ""))
            )
    if problems:
        raise FileRefused(problems)
    institution_ids = institution_ids_of_rows(Counter(p[2] for p in parsed), within=within)
    indicator_ids = code_ids_of_rows(INDICATORS, platform, Counter(p[3] for p in parsed))
    existing = {
        (r.institution_id, r.indicator_id, r.span, r.start): r
        for r in Reference.objects.filter(
            platform=platform, institution_id__in=set(institution_ids.values())
        )
    }
    regions = dict(
        Institution.objects.filter(pk__in=institution_ids.values()).values_list("pk", "region")
    )
    result = ImportResult()
    touched: set[tuple[int, int]] = set()
    value_label = REFERENCE_COLUMNS["value"][0]
    source_label = REFERENCE_COLUMNS["source"][0]
    for number, (span, start), org_code, indicator, value, origin in parsed:
        inst, ind = institution_ids[org_code], indicator_ids[indicator]
        key = f"{start:%Y-%m}" if span == Reference.Span.MONTH else f"{start:%Y}"
        label = f"{key} {org_code} {indicator}"
        reference = existing.get((inst, ind, span, start))
        if reference is None:
            Reference.objects.create(
                platform=platform,
                institution_id=inst,
                indicator_id=ind,
                span=span,
                start=start,
                value=value,
                source=origin,
                updated_by=user,
            )
            touched.add((inst, start.year))
            result.add(number, label)
            continue
        if (reference.value, reference.source) == (value, origin):
            result.same()
            continue
        changes = [
            (name, old, new)
            for name, old, new in (
                (value_label, reference.value, value),
                (source_label, reference.source, origin),
            )
            if old != new
        ]
        audit_record(
            action=AuditEvent.Action.REFERENCE_REPLACED,
            actor=user,
            object_type="indicators.reference",
            object_id=str(reference.pk),
            object_label=label,
            region=Region.objects.filter(pk=regions[inst]).first(),
            details={
                "value": {"old": reference.value, "new": value},
                "source": {"old": reference.source, "new": origin},
            },
        )
        reference.value, reference.source, reference.updated_by = value, origin, user
        reference.save()
        touched.add((inst, start.year))
        result.change(number, label, changes)
    if result.created or result.updated:
        data_changed()
        indicator_years_refresh(platform, touched)
    audit_import(what=f"references {platform.code}", source=source, result=result)
    return result


@transaction.atomic
def indicator_defaults_ensure() -> int:
    """Create the default indicators that are missing (an emptied database: the
    migration created them once); existing ones are left as they are. Returns how
    many were created."""
    from .defaults import DEFAULTS

    created = 0
    for position, (code, name, unit, kind, group) in enumerate(DEFAULTS, start=1):
        _indicator, new = Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "kind": kind,
                "group": group,
                "position": position,
                "builtin": True,
            },
        )
        created += new
    return created


def indicator_add(*, user, code: str, name: str, unit: str, kind: str, group: str) -> Indicator:
    """An indicator of the commission's own, after the built-in ones. Audited."""
    position = (
        Indicator.objects.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    indicator = Indicator.objects.create(
        code=code, name=name, unit=unit, kind=kind, group=group, position=position
    )
    audit_record(
        action=AuditEvent.Action.CATALOGUE_CHANGED,
        actor=user,
        obj=indicator,
        details={"change": "added", "indicator": code, "kind": kind},
    )
    return indicator


def _catalogue(_platform: Platform) -> dict[str, int]:
    return dict(Indicator.objects.values_list("code", "pk"))


INDICATORS = Measure(
    name="indicators",
    code="indicator",
    code_header="指标代码",
    code_ok=is_valid_indicator_code,
    code_problem=lambda: _("Indicator code “%(code)s” is malformed."),
    values=(
        Value(
            "value",
            "数值",
            lambda: _("Value “%(value)s” should be 0 or a positive whole number."),
        ),
    ),
    repeats=lambda: _("Repeats row %(other)d (same date, institution and indicator)."),
    twice=lambda: _("the same institution and indicator twice"),
    row=IndicatorRow,
    daily_model=DailyIndicator,
    code_column="indicator_id",
    roll_up=_roll_up,
    catalogue=_catalogue,
    unknown_code=lambda: _(
        "Unknown indicator %(code)s (%(n)d rows): add it to the indicator catalogue first."
    ),
)
INDICATOR_COLUMNS = INDICATORS.columns
