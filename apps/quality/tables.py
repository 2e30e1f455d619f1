"""The tables of data quality, each a `Sheet` (the page's table and its Excel):
institutions by score, rules by pass rate (of a scope or of one institution)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from apps.core.sheets import Link, Sheet
from apps.metrics.quality import DIMENSIONS, QualityFigures

from .models import Dimension, QualityRule


def institutions_sheet(rows, period, platform) -> Sheet:
    """Institutions by quality score, the lowest first (those to chase); without
    any record checked, last."""
    query = urlencode({"period": period.key, "platform": platform.code})
    labels = dict(Dimension.choices)
    sheet = Sheet(
        "quality",
        _("Data quality by institution"),
        [
            _("No."),
            _("Region"),
            _("Institution"),
            _("Records checked"),
            *[_("%(dimension)s (%%)") % {"dimension": labels[d]} for d in DIMENSIONS],
            _("Quality score"),
        ],
        numeric=frozenset({0, 3, *range(4, 4 + len(DIMENSIONS) + 1)}),
        empty_text=_("No institution in this scope."),
    )
    ordered = sorted(
        rows,
        key=lambda r: (r[1].score is None, r[1].score if r[1].score is not None else 0),
    )
    for n, (inst, figures) in enumerate(ordered, start=1):
        url = reverse("institution-detail", args=[inst.org_code])
        sheet.rows.append(
            [
                n,
                inst.region_label,
                Link(inst.name, f"{url}?{query}"),
                sum(c.checked for c in figures.dimensions.values()),
                *[figures.rate(d) for d in DIMENSIONS],
                figures.score,
            ]
        )
    return sheet


def rules_sheet(
    total: QualityFigures, platform, key: str = "rules", title: str | None = None
) -> Sheet:
    """The platform's rules over a scope (or one institution), the lowest pass rate
    first; only the rules that checked something."""
    rules = {r.code: r for r in QualityRule.objects.filter(platform=platform)}
    labels = dict(Dimension.choices)
    sheet = Sheet(
        key,
        title or _("Rules by pass rate"),
        [
            _("Rule code"),
            _("Rule"),
            _("Dimension"),
            _("Table"),
            _("Records checked"),
            _("Records failed"),
            _("Pass rate (%)"),
        ],
        numeric=frozenset({4, 5, 6}),
        empty_text=_("No rule checked any record in this period."),
    )
    checked = [(code, c) for code, c in total.rules.items() if c.checked]
    checked.sort(key=lambda item: (item[1].rate, item[0]))
    for code, counts in checked:
        rule = rules.get(code)
        sheet.rows.append(
            [
                code,
                rule.name if rule else "",
                labels.get(rule.dimension, "") if rule else "",
                rule.table_code if rule else "",
                counts.checked,
                counts.failed,
                counts.rate,
            ]
        )
    return sheet
