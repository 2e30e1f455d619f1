import re
from collections.abc import Mapping
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.services import audit_import
from apps.core.results import ImportResult
from apps.core.tabular import FileRefused, read_rows
from apps.regions.models import Region

from .models import ORG_CODE_PATTERN, Institution

INSTITUTION_COLUMNS = {
    "org_code": ["机构代码"],
    "name": ["机构名称"],
    "region_code": ["主管区划代码"],
    "category": ["机构类别"],
    "grade": ["等级"],
}
ORG_CODE_RE = re.compile(ORG_CODE_PATTERN)


def is_valid_org_code(code: str) -> bool:
    return bool(ORG_CODE_RE.match(code))


@transaction.atomic
def institutions_import(
    *, source: str | Path | bytes, within: Region | None = None
) -> ImportResult:
    """Load an institutions file. Unknown regions, bad codes or values, and codes
    repeated in the file refuse the whole file; so do, for an officer importing
    `within` a region, rows whose region or existing institution lies outside it."""
    rows = read_rows(
        source,
        INSTITUTION_COLUMNS,
        max_lengths={"name": Institution._meta.get_field("name").max_length},
    )
    regions = dict(Region.objects.values_list("code", "path"))
    outside = {}
    if within is not None:
        outside = dict(
            Institution.objects.exclude(region__path__startswith=within.path)
            .filter(org_code__in=[r.values["org_code"] for r in rows])
            .values_list("org_code", "region__name")
        )
    categories = set(Institution.Category.values)
    grades = set(Institution.Grade.values)
    problems: list[str] = []
    parsed: dict[str, dict] = {}
    for row in rows:
        v = row.values
        where = _("Row %(row)d: ") % {"row": row.number}
        code = v["org_code"]
        row_problems = []
        if not is_valid_org_code(code):
            row_problems.append(_("Institution code “%(code)s” is malformed.") % {"code": code})
        elif code in parsed:
            row_problems.append(
                _("Institution code %(code)s is repeated in the file.") % {"code": code}
            )
        if not v["name"]:
            row_problems.append(_("The institution name is empty."))
        if v["region_code"] not in regions:
            row_problems.append(
                _("Unknown supervising region code “%(code)s”.") % {"code": v["region_code"]}
            )
        elif within is not None and not regions[v["region_code"]].startswith(within.path):
            row_problems.append(
                _("Region %(code)s lies outside %(region)s, the region you supervise.")
                % {"code": v["region_code"], "region": within.name}
            )
        if code in outside:
            row_problems.append(
                _("Institution %(code)s belongs to %(region)s, outside the region you supervise.")
                % {"code": code, "region": outside[code]}
            )
        if v["category"] not in categories:
            row_problems.append(
                _("Unknown institution category “%(value)s”: it must be one of %(choices)s.")
                % {"value": v["category"], "choices": "、".join(Institution.Category.values)}
            )
        if v["grade"] not in grades:
            row_problems.append(
                _("Unknown grade “%(value)s”: it must be one of %(choices)s.")
                % {"value": v["grade"], "choices": "、".join(Institution.Grade.values)}
            )
        if row_problems:
            problems.extend(where + p for p in row_problems)
        else:
            parsed[code] = {**v, "row": row.number}
    if problems:
        raise FileRefused(problems)

    result = ImportResult()
    existing = {
        i.org_code: i
        for i in Institution.objects.filter(org_code__in=parsed).select_related("region")
    }
    # How a change reads in a preview: the file's Chinese header, values as shown.
    shown = {
        "region_id": dict(Region.objects.values_list("code", "name")),
        "category": dict(Institution.Category.choices),
        "grade": dict(Institution.Grade.choices),
    }
    headers = {"name": "name", "region_id": "region_code", "category": "category", "grade": "grade"}

    def show(f: str, value):
        return shown.get(f, {}).get(value, value)

    for code, v in parsed.items():
        wanted = {
            "name": v["name"],
            "region_id": v["region_code"],
            "category": v["category"],
            "grade": v["grade"],
        }
        key = f"{code} {v['name']}"
        institution = existing.get(code)
        if institution is None:
            Institution.objects.create(org_code=code, **wanted)
            result.add(v["row"], key)
            continue
        changed = [f for f, value in wanted.items() if getattr(institution, f) != value]
        if not changed:
            result.same()
            continue
        changes = [
            (
                INSTITUTION_COLUMNS[headers[f]][0],
                show(f, getattr(institution, f)),
                show(f, wanted[f]),
            )
            for f in changed
        ]
        for f, value in wanted.items():
            setattr(institution, f, value)
        institution.save()
        result.change(v["row"], key, changes)
    audit_import(what="institutions", source=source, result=result)
    return result


def institution_ids_of_rows(
    rows_by_code: Mapping[str, int], *, within: Region | None = None
) -> dict[str, int]:
    """The institution id of each code a statistics file names (`rows_by_code`: how
    many rows name it). Codes the registry does not know refuse the file, listed with
    their rows; so do, for an officer importing `within` a region, institutions
    outside it."""
    institutions = Institution.objects.filter(org_code__in=list(rows_by_code))
    known = dict(institutions.values_list("org_code", "pk"))
    if within is not None:
        outside = sorted(
            institutions.exclude(region__path__startswith=within.path).values_list(
                "org_code", flat=True
            )
        )
        if outside:
            raise FileRefused(
                [
                    _(
                        "Institution %(code)s lies outside %(region)s, the region you supervise: its rows cannot be imported by you."
                    )
                    % {"code": code, "region": within.name}
                    for code in outside
                ]
            )
    unknown = sorted(set(rows_by_code) - known.keys())
    if unknown:
        raise FileRefused(
            [
                _(
                    "Unknown institution code %(code)s (%(n)d rows): register it in the institution registry first."
                )
                % {"code": code, "n": rows_by_code[code]}
                for code in unknown
            ]
        )
    return known
