"""The provincial demo (`load_demo --province`): the Jiangsu province platform of the
2016 newsletter (../shared/seeds/jiangsu-2016-newsletter-tables.txt), its 13 city
platforms (one unit each, under their city) and 12 province hospitals (under the
province, 省属), with statistics, indicators and references for 1 March – 30 April
2016 such that the report in the shipped Jiangsu layout gives back the newsletter's
two tables: the volumes, upload days and uploaded visits and discharges as printed,
and every rate to its two decimals.

The figures are in data/jiangsu-2016.csv (the newsletter's, with the decimal points
its PDF extraction lost put back). What the newsletter does not print is made up,
deterministically: the tables each unit uploads, the days it uploaded on, how its
totals fall on those days, and the references (应报数) that give its rates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from apps.accounts.models import User
from apps.accounts.services import user_add
from apps.core.results import ImportResult
from apps.indicators.services import indicator_defaults_ensure, indicators_import, references_import
from apps.institutions.models import Institution
from apps.institutions.services import institutions_import
from apps.metrics.indicators import upload_rate
from apps.platforms.models import Platform
from apps.platforms.services import connection_set_status, platform_add, tables_import
from apps.regions.models import Region
from apps.regions.services import regions_import
from apps.reports.layouts import report_layouts_ship
from apps.uploads.services import uploads_import

DATA = Path(__file__).parent / "data"
PLATFORM_CODE = "jiangsu"
START, END = dt.date(2016, 3, 1), dt.date(2016, 4, 30)
DAYS = [START + dt.timedelta(days=n) for n in range((END - START).days + 1)]
PERIOD_KEY = f"{START.isoformat()}~{END.isoformat()}"
SOURCE = "load_demo --province"
PASSWORD = "hipwatch2023"
PROVINCE = ("320000", "江苏省")
CITIES = {
    "320100": "南京市",
    "320200": "无锡市",
    "320300": "徐州市",
    "320400": "常州市",
    "320500": "苏州市",
    "320600": "南通市",
    "320700": "连云港市",
    "320800": "淮安市",
    "320900": "盐城市",
    "321000": "扬州市",
    "321100": "镇江市",
    "321200": "泰州市",
    "321300": "宿迁市",
}
# (login, role, scope, name): a province officer and one city's.
USERS = [
    ("jiangsu", User.Role.PROVINCE, "320000", "陈静"),
    ("suqian", User.Role.CITY, "321300", "刘洋"),
]


@dataclass(frozen=True)
class Unit:
    kind: str  # "city" (a city platform) or "hospital" (a province hospital)
    name: str
    region_code: str
    records: int
    days: int
    values: dict  # indicator code → the period's uploaded value
    rates: dict  # indicator code → the printed rate (Decimal)
    org_code: str


def units() -> list[Unit]:
    with open(DATA / "jiangsu-2016.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    result, hospitals = [], 0
    for row in rows:
        if row["kind"] == "city":
            org = f"{row['region_code']}00000"
        else:
            hospitals += 1
            org = f"3200000{hospitals:04d}"
        values = {
            "outpatient_visits": int(row["outpatient_visits"]),
            "discharges": int(row["discharges"]),
        }
        if row["lab_exam_reports"]:
            values["lab_exam_reports"] = int(row["lab_exam_reports"])
        rates = {
            "outpatient_visits": Decimal(row["outpatient_rate"]),
            "discharges": Decimal(row["discharge_rate"]),
        }
        for code in ("ehr_basic", "ehr_hypertension", "ehr_diabetes"):
            if row[f"{code}_rate"]:
                rates[code] = Decimal(row[f"{code}_rate"])
        result.append(
            Unit(
                row["kind"],
                row["name"],
                row["region_code"],
                int(row["records"]),
                int(row["days"]),
                values,
                rates,
                org,
            )
        )
    return result


def reference_for(value: int, rate: Decimal, fallback: int) -> int:
    """A reference that gives `value` exactly the printed `rate` (the nearest to
    value ÷ rate); `fallback` where the rate is 0 (nothing uploaded of a real base)."""
    if not rate:
        return fallback
    guess = round(Decimal(value) * 100 / rate)
    for delta in range(0, max(guess // 100, 50)):
        for candidate in (guess - delta, guess + delta):
            if candidate > 0 and upload_rate(value, candidate) == rate:
                return candidate
    raise ValueError(f"no reference gives {value} the rate {rate}")


def _upload_days(unit: Unit) -> list[dt.date]:
    if unit.days <= 0:
        return []
    step = len(DAYS) / unit.days
    return [DAYS[min(len(DAYS) - 1, int(n * step))] for n in range(unit.days)]


def _spread(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if n < extra else 0) for n in range(parts)]


def _table_codes() -> list[str]:
    with open(DATA / "tables-51.csv", encoding="utf-8") as fh:
        return [row["code"] for row in csv.DictReader(fh)]


def files() -> dict[str, bytes]:
    """The demo's files in the documented formats: regions, institutions, uploads,
    indicators, references."""
    tables = _table_codes()
    out = {
        name: io.StringIO()
        for name in ("regions", "institutions", "uploads", "indicators", "references")
    }
    w = {name: csv.writer(buf, lineterminator="\n") for name, buf in out.items()}
    w["regions"].writerow(["code", "name", "level", "parent_code"])
    w["regions"].writerow([PROVINCE[0], PROVINCE[1], "province", ""])
    for code, name in CITIES.items():
        w["regions"].writerow([code, name, "city", PROVINCE[0]])
    w["institutions"].writerow(["org_code", "name", "region_code", "category", "grade"])
    w["uploads"].writerow(["date", "org_code", "table_code", "records", "rejected"])
    w["indicators"].writerow(["date", "org_code", "indicator", "value"])
    w["references"].writerow(["period", "org_code", "indicator", "value", "source"])
    for unit in units():
        rng = random.Random(f"hipwatch-demo-province:{unit.org_code}")
        if unit.kind == "city":
            name, category, grade = f"{unit.name}全民健康信息平台", "区域平台", "未定级"
        else:
            name, category, grade = unit.name, "综合医院", "三级甲等"
        w["institutions"].writerow([unit.org_code, name, unit.region_code, category, grade])
        days = _upload_days(unit)
        if unit.records and days:
            count = min(len(tables), max(3, len(str(unit.records)) * 6))
            chosen = tables[:count]
            for day, records in zip(days, _spread(unit.records, len(days)), strict=True):
                for table, part in zip(chosen, _spread(records, count), strict=True):
                    if part:
                        w["uploads"].writerow([day.isoformat(), unit.org_code, table, part, 0])
        for code, value in unit.values.items():
            if value and days:
                for day, part in zip(days, _spread(value, len(days)), strict=True):
                    if part:
                        w["indicators"].writerow([day.isoformat(), unit.org_code, code, part])
            rate = unit.rates.get(code)
            if rate is None:
                continue
            reference = reference_for(value, rate, rng.randint(200_000, 2_000_000))
            march = round(reference * 31 / 61)
            for month, part in (("2016-03", march), ("2016-04", reference - march)):
                w["references"].writerow([month, unit.org_code, code, part, "卫生统计直报"])
        # Health records: the running totals held (a stock) and the residents of the
        # year (the reference), as of the last day the unit sent anything, or the
        # day before the period for a unit that sent nothing in it.
        residents = rng.randint(2_500_000, 8_000_000)
        for code, share in (("ehr_basic", 1.0), ("ehr_hypertension", 0.12), ("ehr_diabetes", 0.05)):
            rate = unit.rates.get(code)
            if rate is None:
                continue
            base = round(residents * share)
            held = round(base * rate / 100)
            while upload_rate(held, base) != rate:
                held += 1 if upload_rate(held, base) < rate else -1
            day = days[-1] if days else START - dt.timedelta(days=1)
            w["indicators"].writerow([day.isoformat(), unit.org_code, code, held])
            w["references"].writerow(["2016", unit.org_code, code, base, "常住人口"])
    return {name: buf.getvalue().encode("utf-8") for name, buf in out.items()}


@transaction.atomic
def province_demo_load() -> dict[str, ImportResult | int]:
    """Load the provincial demo through the real importers; twice changes nothing."""
    data = files()
    report: dict[str, ImportResult | int] = {}
    report["regions"] = regions_import(source=data["regions"])
    report["institutions"] = institutions_import(source=data["institutions"])
    platform = platform_add(
        code=PLATFORM_CODE,
        name="江苏省全民健康信息平台",
        level=Platform.Level.PROVINCE,
        region=Region.objects.get(code=PROVINCE[0]),
    )
    report["tables"] = tables_import(
        source=DATA / "tables-51.csv",
        platform=platform,
        edition="2016年版",
        valid_from=dt.date(2016, 1, 1),
    )
    changes = 0
    for unit in units():
        institution = Institution.objects.get(org_code=unit.org_code)
        changes += bool(
            connection_set_status(
                institution=institution,
                platform=platform,
                status="connected",
                since=dt.date(2015, 10, 1),
                source=SOURCE,
            )
        )
    report["connections"] = changes
    report["uploads"] = uploads_import(source=data["uploads"], platform=platform)
    indicator_defaults_ensure()
    report["indicators"] = indicators_import(source=data["indicators"], platform=platform)
    report["references"] = references_import(source=data["references"], platform=platform)
    report_layouts_ship()
    return report


def province_demo_users() -> list[tuple[str, str, str]]:
    logins = []
    for username, role, scope, name in USERS:
        user_add(username=username, role=role, scope=scope, password=PASSWORD, display_name=name)
        logins.append((username, PASSWORD, name))
    return logins
