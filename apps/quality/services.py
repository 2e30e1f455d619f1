"""Writing quality rules and results. Every write of daily results goes through
`quality_store` (files) or `quality_replace_day` (the nightly pull), which keep the
monthly roll-up and move the data version in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from apps.audit.services import audit_import
from apps.core.bulk import rows_upsert
from apps.core.calendar import month_end, month_start
from apps.core.results import ImportResult
from apps.core.tabular import FileRefused, read_rows
from apps.core.versioning import data_changed
from apps.measures.kinds import Measure, Value, problems_text
from apps.measures.pipeline import measure_import, measure_replace_day, measure_store
from apps.platforms.models import Platform
from apps.platforms.services import is_valid_table_code
from apps.regions.models import Region

from .models import DailyQuality, Dimension, MonthlyQuality, QualityRule

RULE_COLUMNS = {
    "code": ["规则代码"],
    "name": ["规则名称"],
    "dimension": ["维度"],
    "table_code": ["表代码"],
    "description": ["说明"],
}
# A dimension as files and platforms write it: its code, or its Chinese name.
DIMENSION_NAMES = {
    "完整性": Dimension.COMPLETENESS,
    "规范性": Dimension.CONFORMANCE,
    "一致性": Dimension.CONSISTENCY,
    "关联性": Dimension.LINKAGE,
    "及时性": Dimension.TIMELINESS,
}


def is_valid_rule_code(code: str) -> bool:
    # The same alphabet as table codes: letters, digits, _ - .
    return is_valid_table_code(code)


def parse_dimension(text: str) -> str | None:
    text = text.strip()
    if text.lower() in Dimension.values:
        return text.lower()
    return DIMENSION_NAMES.get(text)


def _refuse_rows(problems_by_row: list[tuple[int, list[str]]]) -> None:
    if problems_by_row:
        raise FileRefused(problems_text(problems_by_row))


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleRow:
    code: str
    name: str
    dimension: str
    table_code: str
    description: str
    row: int | None = None

    def fields(self) -> dict:
        return {
            "name": self.name,
            "dimension": self.dimension,
            "table_code": self.table_code,
            "description": self.description,
        }


def rule_problems(
    code: str, name: str, dimension: str | None, table_code: str, dimension_text: str = ""
) -> list[str]:
    """What is wrong with one rule (a file's row, a platform's item); [] if nothing."""
    problems = []
    if not is_valid_rule_code(code):
        problems.append(_("Rule code “%(code)s” is malformed.") % {"code": code})
    if not name.strip():
        problems.append(_("The rule has no name."))
    if dimension is None:
        problems.append(
            _(
                "Unknown dimension “%(value)s”: write completeness, conformance, consistency, "
                "linkage or timeliness."
            )
            % {"value": dimension_text}
        )
    if table_code and not is_valid_table_code(table_code):
        problems.append(_("Table code “%(code)s” is malformed.") % {"code": table_code})
    return problems


def quality_rules_parse(source: str | Path | bytes) -> list[RuleRow]:
    rows = read_rows(
        source,
        RULE_COLUMNS,
        optional=("table_code", "description"),
        max_lengths={
            "code": QualityRule._meta.get_field("code").max_length,
            "name": QualityRule._meta.get_field("name").max_length,
            "table_code": QualityRule._meta.get_field("table_code").max_length,
        },
    )
    refused: list[tuple[int, list[str]]] = []
    parsed: list[RuleRow] = []
    seen: dict[str, int] = {}
    for row in rows:
        v = row.values
        dimension = parse_dimension(v["dimension"])
        table_code = v.get("table_code", "").strip()
        problems = rule_problems(v["code"], v["name"], dimension, table_code, v["dimension"])
        if not problems and v["code"] in seen:
            problems.append(
                _("Repeats row %(other)d (same rule code).") % {"other": seen[v["code"]]}
            )
        if problems:
            refused.append((row.number, problems))
            continue
        seen[v["code"]] = row.number
        parsed.append(
            RuleRow(
                v["code"],
                v["name"].strip(),
                dimension,
                table_code,
                v.get("description", "").strip(),
                row.number,
            )
        )
    _refuse_rows(refused)
    return parsed


@transaction.atomic
def quality_rules_store(*, platform: Platform, rows: Sequence[RuleRow]) -> ImportResult:
    """Add new rules and update changed ones; rules the rows do not name are kept
    (their results stay readable)."""
    existing = {r.code: r for r in QualityRule.objects.filter(platform=platform)}
    result = ImportResult()
    labels = {name: RULE_COLUMNS[name][0] for name in RULE_COLUMNS}
    for r in rows:
        rule = existing.get(r.code)
        if rule is None:
            QualityRule.objects.create(platform=platform, code=r.code, **r.fields())
            result.add(r.row, r.code)
            continue
        changes = [
            (labels[name], getattr(rule, name), value)
            for name, value in r.fields().items()
            if getattr(rule, name) != value
        ]
        if not changes:
            result.same()
            continue
        for name, value in r.fields().items():
            setattr(rule, name, value)
        rule.save()
        result.change(r.row, r.code, changes)
    if result.created or result.updated:
        data_changed()
    return result


@transaction.atomic
def quality_rules_import(*, source: str | Path | bytes, platform: Platform) -> ImportResult:
    """Load a platform's rules (code, name, dimension, table_code, description)."""
    result = quality_rules_store(platform=platform, rows=quality_rules_parse(source))
    audit_import(what=f"quality rules {platform.code}", source=source, result=result)
    return result


# ---------------------------------------------------------------------------
# Daily results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityRow:
    day: dt.date
    org_code: str
    rule: str
    checked: int
    failed: int
    row: int | None = None


def quality_import(
    *, source: str | Path | bytes, platform: Platform, within: Region | None = None
) -> ImportResult:
    """Load daily quality results (date, org_code, rule, checked, failed). Unknown
    institutions or rules, and for an officer institutions outside their region,
    refuse the file; nothing is written on refusal."""
    return measure_import(QUALITY, source=source, platform=platform, within=within)


def quality_store(
    *,
    platform: Platform,
    rows: Iterable[QualityRow],
    institution_ids: dict[str, int],
    rule_ids: dict[str, int],
) -> ImportResult:
    """Write checked rows: new keys are added, changed counts replace the stored
    ones (a later export wins), equal ones are left alone."""
    return measure_store(
        QUALITY, platform=platform, rows=rows, institution_ids=institution_ids, code_ids=rule_ids
    )


def quality_replace_day(
    *,
    platform: Platform,
    day: dt.date,
    rows: Sequence[QualityRow],
    institution_ids: dict[str, int],
    rule_ids: dict[str, int],
) -> ImportResult:
    """Replace everything stored for one platform and day by `rows` (a platform's
    complete, newer results for that day): what the new results lack is deleted."""
    return measure_replace_day(
        QUALITY,
        platform=platform,
        day=day,
        rows=rows,
        institution_ids=institution_ids,
        code_ids=rule_ids,
    )


def _roll_up(platform: Platform, written: list[tuple], gone: list[tuple]) -> None:
    """The written days' rows, each month moved by its difference; a month that
    lost a day (`gone`, already deleted) rebuilt from its rows."""
    _write(
        platform,
        [(inst, rule, day, *new, *(old or (0, 0))) for inst, rule, day, new, old in written],
    )
    if gone:
        data_changed()
    for inst, rule, day, _old in gone:
        _month_rebuild(platform, inst, rule, month_start(day))


DAILY_COLUMNS = (
    ("platform_id", "bigint"),
    ("institution_id", "bigint"),
    ("rule_id", "bigint"),
    ("day", "date"),
    ("checked", "bigint"),
    ("failed", "bigint"),
)


def _write(platform: Platform, written: list[tuple]) -> None:
    """Store (institution, rule, day, checked, failed, old checked, old failed)
    rows and add each month's difference to the roll-up (one statement each)."""
    if not written:
        return
    data_changed()  # bulk writes fire no signals: the figures' cache must hear of them
    months: dict[tuple[int, int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    for inst, rule, day, checked, failed, old_checked, old_failed in written:
        entry = months[(inst, rule, month_start(day))]
        entry[0] += checked - old_checked
        entry[1] += failed - old_failed
    with connection.cursor() as cursor:
        rows_upsert(
            cursor,
            table=DailyQuality._meta.db_table,
            columns=DAILY_COLUMNS,
            key=("platform_id", "institution_id", "rule_id", "day"),
            rows=[(platform.pk, *row[:5]) for row in written],
            stage="hipwatch_quality_stage",
        )
        rows_upsert(
            cursor,
            table=MonthlyQuality._meta.db_table,
            columns=DAILY_COLUMNS[:3] + (("month", "date"),) + DAILY_COLUMNS[4:],
            key=("platform_id", "institution_id", "rule_id", "month"),
            rows=[
                (platform.pk, inst, rule, month, checked, failed)
                for (inst, rule, month), (checked, failed) in months.items()
            ],
            stage="hipwatch_quality_month_stage",
            accumulate=("checked", "failed"),
        )


def _month_rebuild(platform: Platform, inst: int, rule: int, month: dt.date) -> None:
    key = {"platform": platform, "institution_id": inst, "rule_id": rule, "month": month}
    sums = DailyQuality.objects.filter(
        platform=platform,
        institution_id=inst,
        rule_id=rule,
        day__gte=month,
        day__lte=month_end(month),
    ).aggregate(c=Sum("checked"), f=Sum("failed"))
    if sums["c"] is None:
        MonthlyQuality.objects.filter(**key).delete()
    else:
        MonthlyQuality.objects.update_or_create(
            **key, defaults={"checked": sums["c"], "failed": sums["f"]}
        )


def _relation(counts: tuple[int, int]) -> tuple[str, str] | None:
    checked, failed = counts
    if failed <= checked:
        return None
    return (
        _("More records failed (%(failed)d) than were checked (%(checked)d).")
        % {"failed": failed, "checked": checked},
        _("failed is more than checked"),
    )


def _catalogue(platform: Platform) -> dict[str, int]:
    return dict(QualityRule.objects.filter(platform=platform).values_list("code", "pk"))


QUALITY = Measure(
    name="quality",
    code="rule",
    code_header="规则代码",
    code_ok=is_valid_rule_code,
    code_problem=lambda: _("Rule code “%(code)s” is malformed."),
    values=(
        Value(
            "checked",
            "检查数",
            lambda: _("Records checked “%(value)s” should be 0 or a positive whole number."),
        ),
        Value(
            "failed",
            "不通过数",
            lambda: _("Records failed “%(value)s” should be 0 or a positive whole number."),
        ),
    ),
    repeats=lambda: _("Repeats row %(other)d (same date, institution and rule)."),
    twice=lambda: _("the same institution and rule twice"),
    row=QualityRow,
    daily_model=DailyQuality,
    code_column="rule_id",
    roll_up=_roll_up,
    catalogue=_catalogue,
    unknown_code=lambda: _(
        "Unknown quality rule %(code)s (%(n)d rows): import the platform's rules first."
    ),
    relation=_relation,
)
QUALITY_COLUMNS = QUALITY.columns
