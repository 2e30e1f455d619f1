"""One path for every kind of daily measure: a file parsed and checked row by row,
rows stored (new keys added, changed values replacing the stored ones), a day
replaced whole, each through the kind's own roll-up."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.services import audit_import
from apps.core.results import ImportResult
from apps.core.tabular import FileRefused, date_problem, parse_count, parse_date, read_rows
from apps.institutions.services import institution_ids_of_rows, is_valid_org_code

from .kinds import Measure, problems_text

# progress(stage, done, total): where a long import has got to.
Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 10_000


def measure_parse(measure: Measure, source: str | Path | bytes, progress: Progress | None = None):
    """Read and check a file of `measure`'s rows; any bad row refuses the whole file,
    every problem named with its row."""
    rows = read_rows(source, measure.columns)
    if progress:
        progress(_("Checking the rows"), 0, len(rows))
    refused: list[tuple[int, list[str]]] = []
    parsed = []
    seen: dict[tuple, int] = {}
    # A file repeats the same days, codes and counts on many rows: each distinct
    # text is read once (a cache per file).
    day_of, org_ok, code_ok, count_of = (
        functools.cache(read)
        for read in (parse_date, is_valid_org_code, measure.code_ok, parse_count)
    )
    for index, row in enumerate(rows, start=1):
        if progress and index % PROGRESS_EVERY == 0:
            progress(_("Checking the rows"), index, len(rows))
        v = row.values
        problems = []
        day = day_of(v["date"])
        if day is None:
            problems.append(date_problem(v["date"]))
        if not org_ok(v["org_code"]):
            problems.append(
                _("Institution code “%(code)s” is malformed.") % {"code": v["org_code"]}
            )
        code = v[measure.code]
        if not code_ok(code):
            problems.append(measure.code_problem() % {"code": code})
        counts = tuple(count_of(v[value.name]) for value in measure.values)
        for value, count in zip(measure.values, counts, strict=True):
            if count is None:
                problems.append(value.problem() % {"value": v[value.name]})
        if measure.relation is not None and None not in counts:
            problem = measure.relation(counts)
            if problem:
                problems.append(problem[0])
        if not problems:
            key = (day, v["org_code"], code)
            if key in seen:
                problems.append(measure.repeats() % {"other": seen[key]})
            else:
                seen[key] = row.number
                parsed.append(measure.row(day, v["org_code"], code, *counts, row.number))
        if problems:
            refused.append((row.number, problems))
    if refused:
        raise FileRefused(problems_text(refused))
    return parsed


def code_ids_of_rows(measure: Measure, platform, rows_by_code: Counter) -> dict[str, int] | None:
    """The catalogue id of each code a file names (None for a kind without a
    catalogue); an unknown code refuses the file, with its rows."""
    if measure.catalogue is None:
        return None
    known = measure.catalogue(platform)
    unknown = sorted(set(rows_by_code) - known.keys())
    if unknown:
        raise FileRefused(
            [measure.unknown_code() % {"code": code, "n": rows_by_code[code]} for code in unknown]
        )
    return {code: known[code] for code in rows_by_code}


@transaction.atomic
def measure_import(
    measure: Measure,
    *,
    source: str | Path | bytes,
    platform,
    within=None,
    progress: Progress | None = None,
) -> ImportResult:
    """Load a file of `measure`'s daily rows. Unknown institutions or codes, and for
    an officer importing `within` a region institutions outside it, refuse the
    file, listed by code; nothing is written on refusal."""
    rows = measure_parse(measure, source, progress)
    return measure_import_rows(
        measure, rows=rows, source=source, platform=platform, within=within, progress=progress
    )


@transaction.atomic
def measure_import_rows(
    measure: Measure,
    *,
    rows: Sequence,
    source: str | Path | bytes,
    platform,
    within=None,
    progress: Progress | None = None,
) -> ImportResult:
    """The second half of `measure_import`: rows `measure_parse` read from `source`,
    checked against the registry (and `within`) and the catalogue, stored, audited."""
    institution_ids = institution_ids_of_rows(Counter(r.org_code for r in rows), within=within)
    code_ids = code_ids_of_rows(measure, platform, Counter(measure.code_of(r) for r in rows))
    if progress:
        progress(_("Storing the rows"), 0, len(rows))
    result = measure_store(
        measure, platform=platform, rows=rows, institution_ids=institution_ids, code_ids=code_ids
    )
    if progress:
        progress(_("Storing the rows"), len(rows), len(rows))
    audit_import(what=f"{measure.name} {platform.code}", source=source, result=result)
    return result


def _stored(measure: Measure, platform, **filters) -> dict[tuple, tuple]:
    """(institution id, code or code id, day) → values, of the stored rows."""
    return {
        row[:3]: row[3:]
        for row in measure.daily_model.objects.filter(platform=platform, **filters).values_list(
            "institution_id", measure.code_column, "day", *measure.value_names
        )
    }


@transaction.atomic
def measure_store(
    measure: Measure,
    *,
    platform,
    rows: Iterable,
    institution_ids: dict[str, int],
    code_ids: dict[str, int] | None = None,
) -> ImportResult:
    """Write checked rows: new keys are added, changed values replace the stored
    ones (a later export of a day wins), equal rows are left alone; the kind's
    roll-ups follow every change."""
    rows = list(rows)
    result = ImportResult()
    if not rows:
        return result
    days = [r.day for r in rows]
    existing = _stored(
        measure,
        platform,
        institution_id__in=set(institution_ids.values()),
        day__gte=min(days),
        day__lte=max(days),
    )
    labels = [value.header for value in measure.values]
    written = []
    for r in rows:
        code = measure.code_of(r)
        key = (institution_ids[r.org_code], code if code_ids is None else code_ids[code], r.day)
        old, new = existing.get(key), measure.values_of(r)
        if old == new:
            result.same()
            continue
        if old is None:
            result.add(r.row, measure.key_text(r))
        else:
            result.change(
                r.row,
                measure.key_text(r),
                [
                    (label, was, now)
                    for label, was, now in zip(labels, old, new, strict=True)
                    if was != now
                ],
            )
        written.append((*key, new, old))
    measure.roll_up(platform, written, [])
    return result


@transaction.atomic
def measure_replace_day(
    measure: Measure,
    *,
    platform,
    day: dt.date,
    rows: Sequence,
    institution_ids: dict[str, int],
    code_ids: dict[str, int] | None = None,
) -> ImportResult:
    """Replace everything stored for one platform and day by `rows` (a platform's
    complete, newer figures for that day): what the new figures lack is deleted,
    so a revised day never adds up with the old one."""
    new = {
        (
            institution_ids[r.org_code],
            measure.code_of(r) if code_ids is None else code_ids[measure.code_of(r)],
        ): measure.values_of(r)
        for r in rows
    }
    if measure.replace_day_fast is not None:
        result = measure.replace_day_fast(platform, day, new)
        if result is not None:
            return result
    old = {
        (inst, code): values
        for (inst, code, _day), values in _stored(measure, platform, day=day).items()
    }
    gone = old.keys() - new.keys()
    by_institution: dict[int, list] = defaultdict(list)
    for inst, code in gone:
        by_institution[inst].append(code)
    for inst, codes in by_institution.items():
        measure.daily_model.objects.filter(
            platform=platform, day=day, institution_id=inst, **{f"{measure.code_column}__in": codes}
        ).delete()
    changed = [key for key, values in new.items() if old.get(key) != values]
    result = ImportResult()
    result.created = sum(1 for key in changed if key not in old)
    result.updated = len(changed) - result.created
    result.unchanged = len(new) - len(changed)
    result.deleted = len(gone)
    measure.roll_up(
        platform,
        [(inst, code, day, new[(inst, code)], old.get((inst, code))) for inst, code in changed],
        [(inst, code, day, old[(inst, code)]) for inst, code in gone],
    )
    return result
