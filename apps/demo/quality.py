"""The demo's data quality of 2023: the platform's rules (two of completeness and
conformance, one each of consistency, linkage and timeliness) and, for every day a
hospital uploaded, how many records each rule checked and how many failed it.
Deterministic; written as the platform's quality files, which `load_demo` imports
through the real importers.

How the numbers are made: a rule checks a share of the day's uploaded records of
its table (all of them for a rule over several tables, capped); each hospital fails
each dimension at its own fixed rate, most below 2 %, a few far worse, so the
quality page has laggards to chase: 潢川县人民医院 writes sexes outside the value
domain (规范性), 光山县人民医院 sends its lab reports without their visits
(关联性), and 淮滨县人民医院 uploads a day late (及时性) in the summer."""

from __future__ import annotations

import csv
import datetime
import functools
import io
import random
from collections import defaultdict

from . import year

# code, name, dimension, table (the demo's catalogue codes), description
RULES = [
    ("MZ_ID_CARD", "门诊挂号身份证号不为空", "完整性", "TB_HIS_MZ_Reg", "患者身份证件号码必填"),
    ("ZY_DIAG", "出院记录主要诊断不为空", "完整性", "TB_HIS_ZY_Dis_Reg", ""),
    ("MZ_SEX_DOMAIN", "性别代码符合值域", "规范性", "TB_HIS_MZ_Reg", "GB/T 2261.1"),
    ("DIAG_ICD10", "诊断编码符合ICD-10", "规范性", "", "跨表"),
    ("ZY_DATES", "出院日期不早于入院日期", "一致性", "TB_HIS_ZY_Dis_Reg", ""),
    ("LIS_VISIT_LINK", "检验报告关联就诊记录", "关联性", "", "检验报告须能找到其就诊"),
    ("UPLOAD_24H", "业务发生24小时内上传", "及时性", "", ""),
]
DIMENSION_OF = {r[0]: r[2] for r in RULES}
# A hospital's failure rate by dimension, where it is not the ordinary one.
POOR = {
    "潢川县人民医院": {"规范性": 0.18},
    "光山县人民医院": {"关联性": 0.35},
    "淮滨县人民医院": {"及时性": 0.4},
}
SUMMER = (datetime.date(2023, 6, 1), datetime.date(2023, 8, 31))
RULES_HEADER = ["code", "name", "dimension", "table_code", "description"]
RESULTS_HEADER = ["date", "org_code", "rule", "checked", "failed"]


def _names() -> dict[str, str]:
    from . import generator as g

    with open(g.INSTITUTIONS_CSV, encoding="utf-8") as fh:
        return {r["org_code"]: r["name"] for r in csv.DictReader(fh)}


@functools.cache
def _daily_records() -> dict[tuple[str, datetime.date], dict[str, int]]:
    records: dict[tuple[str, datetime.date], dict[str, int]] = defaultdict(dict)
    for day, org, code, count, _rejected in year.demo_year_uploads():
        if count:
            records[(org, day)][code] = count
    return records


def _failure(rng: random.Random, name: str, dimension: str, day: datetime.date) -> float:
    poor = POOR.get(name, {})
    if dimension in poor and (dimension != "及时性" or SUMMER[0] <= day <= SUMMER[1]):
        return poor[dimension] * rng.uniform(0.8, 1.2)
    return rng.uniform(0.0, 0.02)


@functools.cache
def demo_quality_rows() -> tuple[tuple, ...]:
    names = _names()
    rows = []
    for (org, day), tables in sorted(_daily_records().items()):
        rng = random.Random(f"quality:{org}:{day.isoformat()}")
        everything = sum(tables.values())
        for code, _name, dimension, table, _description in RULES:
            base = tables.get(table, 0) if table else everything
            checked = min(base, 20_000)
            if not checked:
                continue
            failed = min(
                checked, round(checked * _failure(rng, names.get(org, ""), dimension, day))
            )
            rows.append((day, org, code, checked, failed))
    return tuple(rows)


def _csv(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([v.isoformat() if isinstance(v, datetime.date) else v for v in row])
    return out.getvalue().encode("utf-8")


def demo_rules_csv() -> bytes:
    return _csv(RULES_HEADER, RULES)


@functools.cache
def demo_quality_csv() -> bytes:
    return _csv(RESULTS_HEADER, demo_quality_rows())
