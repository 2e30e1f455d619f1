"""Writing quality rules and results. Every write of daily results goes through
`quality_store` (files) or `quality_replace_day` (the nightly pull), which keep the
monthly roll-up and move the data version in the same transaction."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict
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
from apps.core.tabular import FileRefused, date_problem, parse_count, parse_date, read_rows
from apps.core.versioning import data_changed
from apps.institutions.services import institution_ids_of_rows, is_valid_org_code
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
QUALITY_COLUMNS = {
    "date": ["日期"],
    "org_code": ["机构代码"],
    "rule": ["规则代码"],
    "checked": ["检查数"],
    "failed": ["不通过数"],
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
    problems = [
        _("Row %(row)d: ") % {"row": number} + problem
        for number, row_problems in problems_by_row
        for problem in row_problems
    ]
    if problems:
        raise FileRefused(problems)


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


def result_problems(checked: int | None, failed: int | None, texts: tuple[str, str]) -> list[str]:
    """What is wrong with a checked/failed pair; [] if nothing."""
    problems = []
    if checked is None:
        problems.append(
            _("Records checked “%(value)s” should be 0 or a positive whole number.")
            % {"value": texts[0]}
        )
    if failed is None:
        problems.append(
            _("Records failed “%(value)s” should be 0 or a positive whole number.")
            % {"value": texts[1]}
        )
    if checked is not None and failed is not None and failed > checked:
        problems.append(
            _("More records failed (%(failed)d) than were checked (%(checked)d).")
            % {"failed": failed, "checked": checked}
        )
    return problems


def quality_parse(source: str | Path | bytes) -> list[QualityRow]:
    """Read and check a quality results file; any bad row refuses the whole file."""
    rows = read_rows(source, QUALITY_COLUMNS)
    day_of, org_ok, count_of = (
        functools.cache(read) for read in (parse_date, is_valid_org_code, parse_count)
    )
    refused: list[tuple[int, list[str]]] = []
    parsed: list[QualityRow] = []
    seen: dict[tuple, int] = {}
    for row in rows:
        v = row.values
        problems = []
        day = day_of(v["date"])
        if day is None:
            problems.append(date_problem(v["date"]))
        if not org_ok(v["org_code"]):
            problems.append(
                _("Institution code “%(code)s” is malformed.") % {"code": v["org_code"]}
            )
        if not is_valid_rule_code(v["rule"]):
            problems.append(_("Rule code “%(code)s” is malformed.") % {"code": v["rule"]})
        checked, failed = count_of(v["checked"]), count_of(v["failed"])
        problems += result_problems(checked, failed, (v["checked"], v["failed"]))
        if not problems:
            key = (day, v["org_code"], v["rule"])
            if key in seen:
                problems.append(
                    _("Repeats row %(other)d (same date, institution and rule).")
                    % {"other": seen[key]}
                )
            else:
                seen[key] = row.number
                parsed.append(
                    QualityRow(day, v["org_code"], v["rule"], checked, failed, row.number)
                )
        if problems:
            refused.append((row.number, problems))
    _refuse_rows(refused)
    return parsed


def rule_ids_of_rows(platform: Platform, rows_by_code: Counter) -> dict[str, int]:
    """The id of each rule code a file names; unknown codes refuse the file."""
    known = dict(
        QualityRule.objects.filter(platform=platform, code__in=list(rows_by_code)).values_list(
            "code", "pk"
        )
    )
    unknown = sorted(set(rows_by_code) - known.keys())
    if unknown:
        raise FileRefused(
            [
                _("Unknown quality rule %(code)s (%(n)d rows): import the platform's rules first.")
                % {"code": code, "n": rows_by_code[code]}
                for code in unknown
            ]
        )
    return known


@transaction.atomic
def quality_import(
    *, source: str | Path | bytes, platform: Platform, within: Region | None = None
) -> ImportResult:
    """Load daily quality results (date, org_code, rule, checked, failed). Unknown
    institutions or rules, and for an officer institutions outside their region,
    refuse the file; nothing is written on refusal."""
    rows = quality_parse(source)
    institution_ids = institution_ids_of_rows(Counter(r.org_code for r in rows), within=within)
    rule_ids = rule_ids_of_rows(platform, Counter(r.rule for r in rows))
    result = quality_store(
        platform=platform, rows=rows, institution_ids=institution_ids, rule_ids=rule_ids
    )
    audit_import(what=f"quality {platform.code}", source=source, result=result)
    return result


@transaction.atomic
def quality_store(
    *,
    platform: Platform,
    rows: Iterable[QualityRow],
    institution_ids: dict[str, int],
    rule_ids: dict[str, int],
) -> ImportResult:
    """Write checked rows: new keys are added, changed counts replace the stored
    ones (a later export wins), equal ones are left alone."""
    rows = list(rows)
    result = ImportResult()
    if not rows:
        return result
    days = [r.day for r in rows]
    existing = {
        (inst, rule, day): (checked, failed)
        for inst, rule, day, checked, failed in DailyQuality.objects.filter(
            platform=platform,
            institution_id__in=set(institution_ids.values()),
            day__gte=min(days),
            day__lte=max(days),
        ).values_list("institution_id", "rule_id", "day", "checked", "failed")
    }
    labels = (QUALITY_COLUMNS["checked"][0], QUALITY_COLUMNS["failed"][0])
    written = []
    for r in rows:
        inst, rule = institution_ids[r.org_code], rule_ids[r.rule]
        old = existing.get((inst, rule, r.day))
        new = (r.checked, r.failed)
        if old == new:
            result.same()
            continue
        key = f"{r.day.isoformat()} {r.org_code} {r.rule}"
        if old is None:
            result.add(r.row, key)
        else:
            result.change(
                r.row,
                key,
                [(label, a, b) for label, a, b in zip(labels, old, new, strict=True) if a != b],
            )
        written.append((inst, rule, r.day, *new, *(old or (0, 0))))
    _write(platform, written)
    return result


@transaction.atomic
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
    old = {
        (inst, rule): (checked, failed)
        for inst, rule, checked, failed in DailyQuality.objects.filter(
            platform=platform, day=day
        ).values_list("institution_id", "rule_id", "checked", "failed")
    }
    new = {(institution_ids[r.org_code], rule_ids[r.rule]): (r.checked, r.failed) for r in rows}
    gone = old.keys() - new.keys()
    if gone:
        by_inst: dict[int, list[int]] = defaultdict(list)
        for inst, rule in gone:
            by_inst[inst].append(rule)
        for inst, rules in by_inst.items():
            DailyQuality.objects.filter(
                platform=platform, day=day, institution_id=inst, rule_id__in=rules
            ).delete()
    changed = [key for key, value in new.items() if old.get(key) != value]
    result = ImportResult(
        created=sum(1 for key in changed if key not in old),
        unchanged=len(new) - len(changed),
        deleted=len(gone),
    )
    result.updated = len(changed) - result.created
    _write(
        platform,
        [
            (inst, rule, day, *new[(inst, rule)], *old.get((inst, rule), (0, 0)))
            for inst, rule in changed
        ],
    )
    if gone and not changed:
        data_changed()
    for inst, rule in gone:
        _month_rebuild(platform, inst, rule, month_start(day))
    return result


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
