"""The demo's business indicators of 2023: what each Xinyang hospital really served
(visits, discharges) and how much of it reached the platform on the days it
uploaded, its appointments by channel, telemedicine and kiosks, and the references
of 卫生统计直报 the rates are measured against. Deterministic; written as the
platform's indicator and reference files, which `load_demo` imports through the real
importers.

How the numbers are made: a hospital's true daily visits follow its grade and the
day (year.day_factor); on a day it uploaded anything, the platform counts a share of
them (its coverage, fixed per hospital); on the others nothing. The reference of a
month is the month's true total, as the hospital reports it to 卫生统计直报 (rounded
to tens). Two hospitals report nothing to 直报 (no reference: the rate is empty), and
one uploads more than it reports (a rate over 100, flagged).
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import random
from collections import defaultdict

from . import generator as g
from . import year

# Indicators the commission adds to the catalogue for its kiosks (the defaults of
# metrics.md have none): code, name, unit, kind, group.
KIOSK_INDICATORS = [
    ("kiosk_units", "自助机投放台数", "台", "stock", "自助服务"),
    ("kiosk_registrations", "自助机挂号", "人次", "flow", "自助服务"),
    ("kiosk_payments", "自助机缴费", "笔", "flow", "自助服务"),
]
REFERENCE_SOURCE = "卫生统计直报"
# Ordinary weekday outpatient visits by grade.
VISITS_BY_GRADE = {
    "三级甲等": 5200,
    "三级乙等": 3000,
    "三级": 2600,
    "二级甲等": 1400,
    "二级乙等": 900,
    "二级": 700,
}
NO_REFERENCE = {"平桥区中医院", "息县中医院"}
OVER_REFERENCE = {"信阳市第三人民医院": 1.04}
APPOINTMENT_SHARES = {  # of the day's visits, for the hospitals of grade 三级
    "appt_online": 0.11,
    "appt_phone": 0.025,
    "appt_clinic": 0.08,
    "appt_third_party": 0.05,
}
INDICATORS_HEADER = ["date", "org_code", "indicator", "value"]
REFERENCES_HEADER = ["period", "org_code", "indicator", "value", "source"]


def _hospitals() -> list[dict]:
    """The registry's rows (org_code, name, grade, category) of the demo."""
    with open(g.INSTITUTIONS_CSV, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@functools.cache
def _upload_days() -> dict[str, set[datetime.date]]:
    days: dict[str, set[datetime.date]] = defaultdict(set)
    for day, org, _code, records, _rejected in year.demo_year_uploads():
        if records:
            days[org].add(day)
    return days


def _true_visits(rng: random.Random, base: int, day: datetime.date) -> int:
    return max(0, round(base * year.day_factor(day) * rng.uniform(0.88, 1.12)))


@functools.cache
def demo_indicator_rows() -> tuple[tuple, ...]:
    """(day, org_code, indicator, value) of 2023, sorted."""
    rows, _references = _generate()
    return rows


@functools.cache
def demo_reference_rows() -> tuple[tuple, ...]:
    """(period, org_code, indicator, value, source), sorted."""
    _rows, references = _generate()
    return references


@functools.cache
def _generate():
    uploads = _upload_days()
    rows: list[tuple] = []
    monthly: dict[tuple[str, str, str], int] = defaultdict(int)
    for hospital in _hospitals():
        org, name, grade = hospital["org_code"], hospital["name"], hospital["grade"]
        base = VISITS_BY_GRADE.get(grade, 400)
        rng = random.Random(f"hipwatch-demo-indicators:{org}")
        coverage = OVER_REFERENCE.get(name, rng.uniform(0.3, 0.97))
        discharge_share = rng.uniform(0.025, 0.04)
        tertiary = grade.startswith("三级")
        kiosks = rng.randint(8, 24) if tertiary else (rng.randint(2, 6) if "甲" in grade else 0)
        tele = tertiary or name.endswith("县人民医院")
        uploaded_on = uploads.get(org, set())
        day = year.YEAR_START
        while day <= year.YEAR_END:
            visits = _true_visits(rng, base, day)
            discharges = round(visits * discharge_share)
            month = f"{day:%Y-%m}"
            monthly[(month, org, "outpatient_visits")] += visits
            monthly[(month, org, "discharges")] += discharges
            if day in uploaded_on:
                rows.append((day, org, "outpatient_visits", round(visits * coverage)))
                rows.append((day, org, "discharges", round(discharges * coverage)))
                rows.append((day, org, "lab_exam_reports", round(visits * coverage * 0.6)))
                if tertiary:
                    for code, share in APPOINTMENT_SHARES.items():
                        rows.append((day, org, code, round(visits * share * rng.uniform(0.8, 1.2))))
                if tele and year.is_working_day(day):
                    rows.append((day, org, "tele_ecg", rng.randint(2, 18)))
                    rows.append((day, org, "tele_imaging", rng.randint(1, 12)))
                    if tertiary:
                        rows.append((day, org, "tele_consultations", rng.randint(0, 4)))
                        rows.append((day, org, "tele_lab", rng.randint(0, 9)))
                if kiosks:
                    rows.append((day, org, "kiosk_registrations", round(visits * 0.18 * coverage)))
                    rows.append((day, org, "kiosk_payments", round(visits * 0.3 * coverage)))
            if kiosks and uploaded_on and day.day == 1:
                # New kiosks arrive with the year: two more from July.
                rows.append((day, org, "kiosk_units", kiosks + (2 if day.month >= 7 else 0)))
            day += datetime.timedelta(days=1)
    # Hospitals on the province platform (已联通省平台) report to 直报 too, but the
    # city platform cannot measure them: their references would only mislead.
    upstream = {
        row["name"]
        for row in g.load_attachment(g.ATTACHMENT_CSV)
        if row["remark"].startswith("已联通省")
    }
    skip = {h["org_code"] for h in _hospitals() if h["name"] in NO_REFERENCE | upstream}
    references = [
        (month, org, code, round(total, -1), REFERENCE_SOURCE)
        for (month, org, code), total in monthly.items()
        if org not in skip
    ]
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    references.sort()
    return tuple(rows), tuple(references)


def _csv(header: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(
        [r[0].isoformat() if isinstance(r[0], datetime.date) else r[0], *r[1:]] for r in rows
    )
    return out.getvalue().encode("utf-8")


@functools.cache
def demo_indicators_csv() -> bytes:
    return _csv(INDICATORS_HEADER, demo_indicator_rows())


@functools.cache
def demo_references_csv() -> bytes:
    return _csv(REFERENCES_HEADER, demo_reference_rows())
