"""What a bulletin says, built from the metrics module's figures.

`bulletin_build` returns a plain JSON-able dict: the sections of the document
(接入情况, 数据完整性, 数据连续性) and the attachment table (附件), with every figure
of every institution. A draft shows it live; publishing stores it as the snapshot,
and every rendition (HTML, PDF, XLSX, JSON, API) reads that one dict.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.institutions.models import Institution
from apps.metrics.definitions import Definitions
from apps.metrics.figures import InstitutionFigures, Tier, period_figures
from apps.metrics.phases import phase_coverage
from apps.metrics.quality import quality_values
from apps.platforms.models import ConnectionStatus
from apps.regions.models import Region
from apps.reports.columns import (
    available_columns,
    build_report,
    columns_of,
    report_heading,
    report_snapshot,
)

from .models import Bulletin

SCHEMA_VERSION = 1
# Appended sections keep the positions of the earlier ones (the document reads them).
SECTION_KEYS = ("tier1", "tier2", "tier3", "tier4", "unconnected", "upstream", "not_yet_due")


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def section_key(row: InstitutionFigures) -> str:
    """The one tier section an institution is listed under."""
    if row.not_yet_due:
        return "not_yet_due"
    if row.tier:
        return f"tier{row.tier}"
    if row.connection_status == ConnectionStatus.UPSTREAM:
        return "upstream"
    return "unconnected"


def remark(row: InstitutionFigures) -> str:
    """备注 of the attachment: why a row has no figures."""
    if row.not_yet_due:
        return _("Not yet due (go-live %(day)s)") % {"day": row.go_live.isoformat()}
    if row.connection_status == ConnectionStatus.UPSTREAM:
        return _("Connected to the provincial platform")
    if row.connection_status != ConnectionStatus.CONNECTED:
        return _("Not connected")
    if row.tier == Tier.FOURTH:
        return _("No data uploaded")
    return ""


def region_order(region: Region) -> dict[str, tuple]:
    """Sort keys for the region and its descendants: the region itself (市直)
    first, then its children in the registry's order, each followed by its own."""
    regions = list(region.descendants())
    by_code = {r.code: r for r in regions}

    def key(r: Region) -> tuple:
        chain = []
        while r is not None and r.code != region.code:
            chain.append((r.position, r.code))
            r = by_code.get(r.parent_id)
        return tuple(reversed(chain))

    return {r.code: key(r) for r in regions}


def quality_ranking(
    bulletin: Bulletin, rows, institutions, definitions: Definitions
) -> dict | None:
    """The units by quality score (metrics.md, 数据质量) in three bands, the best
    first, when the bulletin's definitions ask for it: 良好 at least
    `quality_good_min`, 较差 below `quality_poor_below`, the rest between; units
    with nothing checked apart. Upstream and 未到期 units are not ranked."""
    if not definitions.quality_ranking:
        return None
    values = quality_values(
        institutions=institutions,
        platform=bulletin.platform,
        start=bulletin.period_start,
        end=bulletin.period_end,
        definitions=definitions,
    )
    bands: dict[str, list] = {"good": [], "fair": [], "poor": []}
    unchecked = []
    for row in rows:
        if row.exempt or row.not_yet_due:
            continue
        inst = row.institution
        figures = values.get(inst.pk)
        score = figures.score if figures else None
        entry = {"org_code": inst.org_code, "name": inst.name, "score": _json(score)}
        if score is None:
            unchecked.append(entry)
        elif score >= definitions.quality_good_min:
            bands["good"].append((score, entry))
        elif score < definitions.quality_poor_below:
            bands["poor"].append((score, entry))
        else:
            bands["fair"].append((score, entry))
    ranked = {
        key: [e for _s, e in sorted(found, key=lambda p: (-p[0], p[1]["org_code"]))]
        for key, found in bands.items()
    }
    return {
        "good_min": _json(definitions.quality_good_min),
        "poor_below": _json(definitions.quality_poor_below),
        **ranked,
        "unchecked": unchecked,
    }


def attached_report(bulletin: Bulletin, institutions, figures) -> dict | None:
    """The report in the bulletin's attached layout (附件2), for the bulletin's
    region and period, from the same figures as the rest of the document (so its
    tiers follow the bulletin's thresholds); frozen as plain JSON."""
    layout = bulletin.report_layout
    if layout is None:
        return None
    columns, _unknown = columns_of(layout.columns, available_columns())
    report = build_report(
        institutions=institutions,
        platform=bulletin.platform,
        start=bulletin.period_start,
        end=bulletin.period_end,
        columns=columns,
        order=layout.order or None,
        descending=layout.descending,
        figures=figures,
    )
    heading = report_heading(bulletin.region.name, layout.title, bulletin.period_label)
    return report_snapshot(report, heading=heading, layout=layout.name)


def bulletin_build(bulletin: Bulletin) -> dict:
    """The live content of a bulletin (what publishing would freeze now)."""
    definitions = Definitions.from_dict(bulletin.definitions)
    institutions = Institution.objects.filter(region__path__startswith=bulletin.region.path)
    figures = period_figures(
        institutions=institutions,
        platform=bulletin.platform,
        start=bulletin.period_start,
        end=bulletin.period_end,
        definitions=definitions,
    )
    order = region_order(bulletin.region)
    rows = sorted(
        figures.rows,
        key=lambda r: (order.get(r.institution.region_id, ((999, ""),)), r.org_code),
    )
    summary = figures.summary

    attachment = []
    previous_region = None
    for seq, row in enumerate(rows, start=1):
        inst = row.institution
        attachment.append(
            {
                "seq": seq,
                "org_code": inst.org_code,
                "name": inst.name,
                "region_code": inst.region_id,
                "region": inst.region_label,
                "first_in_region": inst.region_id != previous_region,
                "category": inst.category,
                "grade": inst.grade,
                "connection_status": row.connection_status,
                "connection_status_label": str(row.connection_status_label),
                "connected_since": _json(row.connected_since),
                "required_tables": row.required_tables,
                "tables_uploaded": row.tables_uploaded,
                "completeness": _json(row.completeness),
                "missing_tables": row.missing_tables,
                "records": row.records,
                "rejected": row.rejected,
                "upload_days": row.upload_days,
                "interruption_days": row.interruption_days,
                "longest_gap": row.longest_gap,
                "last_upload_date": _json(row.last_upload_date),
                "tier": row.tier,
                "severely_missing": row.severely_missing,
                "continuity": row.continuity,
                "score": _json(row.score),
                "go_live": _json(row.go_live),
                "section": section_key(row),
                "remark": remark(row),
            }
        )
        previous_region = inst.region_id

    def names(key: str) -> list[dict]:
        return [
            {"org_code": r["org_code"], "name": r["name"]}
            for r in attachment
            if r["section"] == key
        ]

    d = definitions
    rules = {
        "tier1": _("completeness of %(min)s%% or more") % {"min": d.tier1_min},
        "tier2": _("completeness of %(min)s%% or more") % {"min": d.tier2_min},
        "tier3": _("completeness below %(max)s%%") % {"max": d.tier2_min},
        "tier4": _("no table uploaded"),
        "unconnected": _("not connected or integrating"),
        "upstream": _("connected to the provincial platform instead"),
        "not_yet_due": _("go-live date after the period"),
    }
    titles = {
        "tier1": str(Tier.LABELS[1]),
        "tier2": str(Tier.LABELS[2]),
        "tier3": str(Tier.LABELS[3]),
        "tier4": str(Tier.LABELS[4]),
        "unconnected": _("Not connected"),
        "upstream": _("Connected to the provincial platform"),
        "not_yet_due": _("Not yet due"),
    }
    sections = []
    for key in SECTION_KEYS:
        members = names(key)
        sections.append(
            {
                "key": key,
                "title": titles[key],
                "rule": rules[key],
                "count": len(members),
                "institutions": members,
                "severely_missing": [
                    {"org_code": r["org_code"], "name": r["name"]}
                    for r in attachment
                    if r["section"] == key and r["severely_missing"]
                ],
                "missing_tables_max": max(
                    (r["missing_tables"] for r in attachment if r["section"] == key), default=None
                ),
            }
        )

    required = {r["required_tables"] for r in attachment}
    unconnected = [r for r in attachment if r["section"] == "unconnected"]
    not_yet_due = [r for r in attachment if r["section"] == "not_yet_due"]
    continuity = {
        key: [
            {"org_code": r["org_code"], "name": r["name"]}
            for r in attachment
            if r["continuity"] == key
        ]
        for key in ("good", "interrupted")
    }
    # Connected and due, with nothing uploaded in the period: no continuity to judge
    # (connected = good + interrupted + these, metrics.md).
    continuity["none"] = [
        {"org_code": r["org_code"], "name": r["name"]}
        for r in attachment
        if r["connection_status"] == "connected"
        and r["section"] != "not_yet_due"
        and r["continuity"] is None
    ]
    return {
        "schema": SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(),
        "document": {
            "number": bulletin.number,
            "title": bulletin.title,
            "issuing_body": bulletin.issuing_body,
            "recipients": bulletin.recipients,
            "issue_date": _json(bulletin.issue_date),
            "opening": bulletin.opening,
            "requirements": bulletin.requirements,
            "contacts": bulletin.contacts,
            "corrects": bulletin.corrects.number if bulletin.corrects_id else None,
        },
        "period": {
            "start": _json(bulletin.period_start),
            "end": _json(bulletin.period_end),
            "label": bulletin.period_label,
            # The last day counted: the platform's data day where the period runs
            # past it (metrics.md); the text says "截至" that day.
            "through": _json(figures.through or bulletin.period_end),
        },
        "platform": {"code": bulletin.platform.code, "name": bulletin.platform.name},
        "region": {"code": bulletin.region.code, "name": bulletin.region.name},
        # A province's bulletin names its units (city platforms, province
        # hospitals) where a city's names its institutions.
        "province": bulletin.region.level == Region.Level.PROVINCE,
        "definitions": definitions.as_dict(),
        "required_tables": required.pop() if len(required) == 1 else None,
        "access": {
            "institutions": summary.institutions,
            "city_platforms": sum(
                r["category"] == Institution.Category.REGIONAL_PLATFORM for r in attachment
            ),
            "hospitals": sum(
                r["category"] != Institution.Category.REGIONAL_PLATFORM for r in attachment
            ),
            "joined": summary.joined,
            "connected": summary.connected,
            "upstream": summary.upstream,
            "unconnected": summary.unconnected,
            "connection_rate": _json(summary.connection_rate),
            "unconnected_institutions": [
                {"org_code": r["org_code"], "name": r["name"], "status": r["connection_status"]}
                for r in unconnected
            ],
            # 未到期: targets of a build-out phase whose go-live date is after the period.
            "not_yet_due": summary.not_yet_due,
            "due": summary.due,
            "not_yet_due_institutions": [
                {"org_code": r["org_code"], "name": r["name"], "go_live": r["go_live"]}
                for r in not_yet_due
            ],
        },
        # Coverage by build-out phase on the period's last day (phases with targets).
        "phases": [
            {
                "name": c.plan.name,
                "deadline": _json(c.plan.deadline),
                "targets": c.targets,
                "joined": c.joined,
                "coverage": _json(c.coverage),
            }
            for c in phase_coverage(
                institutions=institutions.filter(active=True),
                platform=bulletin.platform,
                day=bulletin.period_end,
            )
        ],
        "quality": quality_ranking(bulletin, rows, institutions, definitions),
        "sections": sections,
        "continuity": {
            "max_days": definitions.good_continuity_max_days,
            "good_count": len(continuity["good"]),
            "good": continuity["good"],
            "interrupted_count": len(continuity["interrupted"]),
            "interrupted": continuity["interrupted"],
            "none_count": len(continuity["none"]),
            "none": continuity["none"],
            "connected": summary.connected,
        },
        "attachment": attachment,
        "report": attached_report(bulletin, institutions, figures),
    }


def bulletin_content(bulletin: Bulletin) -> dict:
    """The snapshot of a published bulletin; the live content of a draft."""
    if bulletin.status == Bulletin.Status.PUBLISHED:
        return bulletin.snapshot
    return bulletin_build(bulletin)
