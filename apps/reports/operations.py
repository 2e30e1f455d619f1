"""Operations (业务运行) as the Nanjing newsletter lays them out, all from indicators:
appointments by channel per hospital with 小计 and 合计; telemedicine per platform
(institutions connected, the period's cases, the top three uploaders); kiosks per
hospital (投放台数, registrations, payments). Each page is a `Sheet` (the page's
table and its Excel) and a chart of the same figures. The values come from
apps.metrics.indicators; this module only arranges them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.sheets import Sheet
from apps.indicators.models import Indicator
from apps.metrics.indicators import indicator_values

APPOINTMENTS = ("appt_online", "appt_phone", "appt_clinic", "appt_third_party")
TELEMEDICINE = ("tele_consultations", "tele_ecg", "tele_lab", "tele_imaging")
# The kiosks' indicators are the commission's own (metrics.md has none): these codes.
KIOSKS = ("kiosk_units", "kiosk_registrations", "kiosk_payments")
TOP = 3
CHART_ROWS = 15

PAGES = {
    "appointments": (gettext_lazy("Appointments by channel"), APPOINTMENTS),
    "telemedicine": (gettext_lazy("Telemedicine"), TELEMEDICINE),
    "kiosks": (gettext_lazy("Self-service kiosks"), KIOSKS),
}


@dataclass
class Operations:
    """One operations page: its table, its chart and the codes it lacks."""

    title: str
    sheet: Sheet
    chart: dict
    missing: list[str] = field(default_factory=list)
    summary: list[tuple[str, object]] = field(default_factory=list)


def _values(institutions, platform, start, end, codes):
    catalogue = {i.code: i for i in Indicator.objects.filter(code__in=codes)}
    present = [catalogue[c] for c in codes if c in catalogue]
    values = (
        indicator_values(
            institutions=institutions, platform=platform, start=start, end=end, indicators=present
        )
        if present
        else {}
    )
    names = dict(institutions.filter(active=True).values_list("pk", "name"))
    return present, values, names, [c for c in codes if c not in catalogue]


def _value(values, pk, code) -> int:
    v = values.get(pk, {}).get(code)
    return (v.value or 0) if v else 0


def appointments(*, institutions, platform, start: dt.date, end: dt.date) -> Operations:
    present, values, names, missing = _values(institutions, platform, start, end, APPOINTMENTS)
    sheet = Sheet(
        "appointments",
        str(PAGES["appointments"][0]),
        [_("No."), _("Institution"), *[i.name.split("：")[-1] for i in present], _("Subtotal")],
        numeric=frozenset({0, *range(2, len(present) + 3)}),
        empty_text=_("No appointment was counted in this period."),
    )
    rows = []
    for pk, name in names.items():
        counts = [_value(values, pk, i.code) for i in present]
        if sum(counts):
            rows.append((name, counts, sum(counts)))
    rows.sort(key=lambda r: -r[2])
    for n, (name, counts, subtotal) in enumerate(rows, start=1):
        sheet.rows.append([n, name, *counts, subtotal])
    totals = [sum(r[1][k] for r in rows) for k in range(len(present))]
    if rows:
        sheet.rows.append([None, _("Total"), *totals, sum(totals)])
        sheet.row_classes = [""] * len(rows) + ["report-total"]
    shown = rows[:CHART_ROWS]
    chart = {
        "kind": "hbar",
        "categories": [r[0] for r in shown][::-1],
        "series": [
            {"name": i.name.split("：")[-1], "data": [r[1][k] for r in shown][::-1]}
            for k, i in enumerate(present)
        ],
    }
    summary = [(i.name, totals[k]) for k, i in enumerate(present)] if rows else []
    return Operations(str(PAGES["appointments"][0]), sheet, chart, missing, summary)


def telemedicine(*, institutions, platform, start: dt.date, end: dt.date) -> Operations:
    present, values, names, missing = _values(institutions, platform, start, end, TELEMEDICINE)
    sheet = Sheet(
        "telemedicine",
        str(PAGES["telemedicine"][0]),
        [
            _("Telemedicine platform"),
            _("Institutions with cases"),
            _("Cases in the period"),
            _("Top three uploaders"),
        ],
        numeric=frozenset({1, 2}),
        empty_text=_("No telemedicine case was counted in this period."),
    )
    chart = {"kind": "bar", "categories": [], "series": [{"name": _("Cases"), "data": []}]}
    for indicator in present:
        counts = [
            (names[pk], _value(values, pk, indicator.code))
            for pk in names
            if _value(values, pk, indicator.code)
        ]
        counts.sort(key=lambda c: -c[1])
        top = "、".join(f"{name} {count:,}" for name, count in counts[:TOP])
        total = sum(c for _n, c in counts)
        sheet.rows.append([indicator.name, len(counts), total, top or None])
        chart["categories"].append(indicator.name)
        chart["series"][0]["data"].append(total)
    summary = [(r[0], r[2]) for r in sheet.rows]
    return Operations(str(PAGES["telemedicine"][0]), sheet, chart, missing, summary)


def kiosks(*, institutions, platform, start: dt.date, end: dt.date) -> Operations:
    present, values, names, missing = _values(institutions, platform, start, end, KIOSKS)
    sheet = Sheet(
        "kiosks",
        str(PAGES["kiosks"][0]),
        [_("No."), _("Institution"), *[i.name for i in present]],
        numeric=frozenset({0, *range(2, len(present) + 2)}),
        empty_text=_("No kiosk was counted in this period."),
    )
    rows = []
    for pk, name in names.items():
        counts = [_value(values, pk, i.code) for i in present]
        if any(counts):
            rows.append((name, counts))
    flows = [(k, i) for k, i in enumerate(present) if not i.is_stock]
    # The busiest first (registrations and payments), then by the kiosks placed.
    rows.sort(key=lambda r: (-sum(r[1][k] for k, _i in flows), -sum(r[1])))
    for n, (name, counts) in enumerate(rows, start=1):
        sheet.rows.append([n, name, *counts])
    totals = [sum(r[1][k] for r in rows) for k in range(len(present))]
    if rows:
        sheet.rows.append([None, _("Total"), *totals])
        sheet.row_classes = [""] * len(rows) + ["report-total"]
    shown = rows[:CHART_ROWS]
    chart = {
        "kind": "hbar",
        "categories": [r[0] for r in shown][::-1],
        "series": [{"name": i.name, "data": [r[1][k] for r in shown][::-1]} for k, i in flows],
    }
    summary = [(i.name, totals[k]) for k, i in enumerate(present)] if rows else []
    return Operations(str(PAGES["kiosks"][0]), sheet, chart, missing, summary)


BUILDERS = {"appointments": appointments, "telemedicine": telemedicine, "kiosks": kiosks}
