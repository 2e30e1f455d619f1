import re
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.services import audit_import
from apps.core.results import ImportResult
from apps.core.tabular import FileRefused, read_rows
from apps.core.versioning import data_changed

from .models import Region

REGION_COLUMNS = {
    "code": ["区划代码"],
    "name": ["名称"],
    "level": ["级别"],
    "parent_code": ["上级区划代码"],
}
LEVEL_WORDS = {
    "province": Region.Level.PROVINCE,
    "省": Region.Level.PROVINCE,
    "city": Region.Level.CITY,
    "市": Region.Level.CITY,
    "county": Region.Level.COUNTY,
    "县": Region.Level.COUNTY,
    "区": Region.Level.COUNTY,
    "县/区": Region.Level.COUNTY,
    "县区": Region.Level.COUNTY,
}
LEVEL_RANK = {Region.Level.PROVINCE: 0, Region.Level.CITY: 1, Region.Level.COUNTY: 2}
CODE_RE = re.compile(r"^\d{6}$")


@transaction.atomic
def regions_import(*, source: str | Path | bytes) -> ImportResult:
    """Load a regions file (code, name, level, parent_code). All or nothing."""
    rows = read_rows(
        source, REGION_COLUMNS, max_lengths={"name": Region._meta.get_field("name").max_length}
    )
    existing = {r.code: r for r in Region.objects.all()}
    problems: list[str] = []
    parsed: dict[str, dict] = {}
    for row in rows:
        v = row.values
        where = _("Row %(row)d: ") % {"row": row.number}
        code, parent = v["code"], v["parent_code"]
        level = LEVEL_WORDS.get(v["level"].strip().lower())
        if not CODE_RE.match(code):
            problems.append(where + _("Region code “%(code)s” is not 6 digits.") % {"code": code})
            continue
        if code in parsed:
            problems.append(
                where + _("Region code %(code)s is repeated in the file.") % {"code": code}
            )
            continue
        if not v["name"]:
            problems.append(where + _("The name is empty."))
        if level is None:
            problems.append(
                where
                + _("Unrecognised level “%(level)s” (expected province, city or county).")
                % {"level": v["level"]}
            )
        if parent and not CODE_RE.match(parent):
            problems.append(
                where + _("Parent region code “%(code)s” is not 6 digits.") % {"code": parent}
            )
        parsed[code] = {"row": row.number, "name": v["name"], "level": level, "parent": parent}

    levels = {code: r.level for code, r in existing.items()}
    levels.update({code: p["level"] for code, p in parsed.items()})
    for code, p in parsed.items():
        parent = p["parent"]
        where = _("Row %(row)d: ") % {"row": p["row"]}
        if not parent or not CODE_RE.match(parent):
            continue
        if parent == code:
            problems.append(where + _("A region cannot be its own parent."))
        elif parent not in levels:
            problems.append(where + _("Unknown parent region code %(code)s.") % {"code": parent})
        elif p["level"] and levels[parent] and LEVEL_RANK[levels[parent]] >= LEVEL_RANK[p["level"]]:
            problems.append(
                where
                + _("Parent region %(code)s is not at a higher level than this region.")
                % {"code": parent}
            )
    # A region whose level changes must stay above the regions already under it.
    for child in existing.values():
        p = parsed.get(child.parent_id)
        if child.code in parsed or p is None or p["level"] is None:
            continue
        if LEVEL_RANK[p["level"]] >= LEVEL_RANK[child.level]:
            problems.append(
                _("Row %(row)d: ") % {"row": p["row"]}
                + _("Region %(code)s lies under this region and would not be at a lower level.")
                % {"code": child.code}
            )
    if problems:
        # Three passes found them: report in row order.
        raise FileRefused(sorted(problems, key=lambda p: int(re.search(r"\d+", p).group())))

    result = ImportResult()
    labels = dict(Region.Level.choices)
    # Parents before children: sort by level, then write.
    for code in sorted(parsed, key=lambda c: LEVEL_RANK[parsed[c]["level"]]):
        p = parsed[code]
        region = existing.get(code)
        parent_id = p["parent"] or None
        wanted = (p["name"], p["level"], parent_id, p["row"])
        key = f"{code} {p['name']}"
        if region is None:
            region = Region(
                code=code, name=p["name"], level=p["level"], parent_id=parent_id, position=p["row"]
            )
            region.parent = Region.objects.get(pk=parent_id) if parent_id else None
            region.save()
            existing[code] = region
            result.add(p["row"], key)
        elif (region.name, region.level, region.parent_id, region.position) != wanted:
            changes = [
                (label, old, new)
                for label, old, new in (
                    (REGION_COLUMNS["name"][0], region.name, p["name"]),
                    (REGION_COLUMNS["level"][0], labels[region.level], labels[p["level"]]),
                    (REGION_COLUMNS["parent_code"][0], region.parent_id, parent_id),
                    (_("Order"), region.position, p["row"]),
                )
                if old != new
            ]
            region.name, region.level, region.parent_id, region.position = wanted
            region.parent = Region.objects.get(pk=parent_id) if parent_id else None
            region.save()
            result.change(p["row"], key, changes)
        else:
            result.same()
    if result.updated:
        regions_rebuild_paths()
    audit_import(what="regions", source=source, result=result)
    return result


def regions_rebuild_paths() -> None:
    """Recompute every materialized path and sort key (after a region moved or the
    file changed the order)."""
    regions = {r.code: r for r in Region.objects.all()}

    def chain(region: Region, seen: tuple = ()) -> list[Region]:
        if region.code in seen:
            raise ValueError(f"cycle at {region.code}")
        parent = regions.get(region.parent_id) if region.parent_id else None
        return (chain(parent, (*seen, region.code)) if parent else []) + [region]

    changed = []
    for region in regions.values():
        ancestors = chain(region)
        path = "".join(f"{r.code}/" for r in ancestors)
        key = "".join(f"{r.position:06d}.{r.code}/" for r in ancestors)
        if (path, key) != (region.path, region.sort_key):
            region.path, region.sort_key = path, key
            changed.append(region)
    Region.objects.bulk_update(changed, ["path", "sort_key"])
    data_changed()  # bulk_update fires no signals
