import re
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
def institutions_import(*, source: str | Path | bytes) -> ImportResult:
    """Load an institutions file. Unknown regions, bad codes or values, and codes
    repeated in the file refuse the whole file."""
    rows = read_rows(
        source,
        INSTITUTION_COLUMNS,
        max_lengths={"name": Institution._meta.get_field("name").max_length},
    )
    regions = set(Region.objects.values_list("code", flat=True))
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
        if v["category"] not in categories:
            row_problems.append(
                _("Unknown institution category “%(value)s”.") % {"value": v["category"]}
            )
        if v["grade"] not in grades:
            row_problems.append(_("Unknown grade “%(value)s”.") % {"value": v["grade"]})
        if row_problems:
            problems.extend(where + p for p in row_problems)
        else:
            parsed[code] = v
    if problems:
        raise FileRefused(problems)

    result = ImportResult()
    existing = {i.org_code: i for i in Institution.objects.filter(org_code__in=parsed)}
    fields = ("name", "region_id", "category", "grade")
    for code, v in parsed.items():
        wanted = dict(
            zip(fields, (v["name"], v["region_code"], v["category"], v["grade"]), strict=True)
        )
        institution = existing.get(code)
        if institution is None:
            Institution.objects.create(org_code=code, **wanted)
            result.created += 1
        elif any(getattr(institution, f) != wanted[f] for f in fields):
            for f, value in wanted.items():
                setattr(institution, f, value)
            institution.save()
            result.updated += 1
        else:
            result.unchanged += 1
    audit_import(what="institutions", source=source, result=result)
    return result
