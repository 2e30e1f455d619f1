"""The review queue: rows a platform sent for institution codes the registry does
not know wait in their kind's queue (apps.ingestion.kinds: UnknownUpload,
UnknownIndicatorValue, UnknownQualityValue) until an officer maps the code to an institution (an alias every later pull uses)
or registers the institution. Either way the waiting rows are then stored and
count, in one transaction. Indicator values for an indicator the catalogue lacks
wait the same way until an officer adds the indicator; quality results for a rule
the platform has not listed (UnknownQualityValue) until its rules list it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Sum
from django.utils.translation import gettext as _

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.indicators.models import Indicator
from apps.indicators.services import indicator_add
from apps.institutions.models import Institution
from apps.measures.pipeline import measure_store
from apps.platforms.models import Platform
from apps.quality.models import QualityRule

from .kinds import BY_SYNC_KIND, PULLED, Pulled
from .models import OrgCodeAlias, SyncRun, UnknownIndicatorValue
from .pull import known_codes


class ResolveRefused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class WaitingCode:
    """One unknown code of one platform, as the queue lists it."""

    platform_id: int
    org_code: str
    rows: int
    days: int
    tables: int
    records: int
    first_day: object
    last_day: object
    values: int = 0  # indicator values waiting under the code
    results: int = 0  # quality results waiting under the code


def _of_unknown_institutions(values):
    """Waiting values whose code is neither the registry's nor an alias."""
    alias = OrgCodeAlias.objects.filter(
        platform=OuterRef("platform"), org_code=OuterRef("org_code")
    )
    return values.exclude(org_code__in=Institution.objects.values("org_code")).exclude(
        Exists(alias)
    )


def waiting_codes(unknown_uploads, unknown_values=None, unknown_results=None) -> list[WaitingCode]:
    """The queue, one line per (platform, code), from a scoped UnknownUpload queryset
    and (if given) scoped UnknownIndicatorValue and UnknownQualityValue ones: a code
    that sent only indicator values or quality results is in the queue too."""
    lines = {
        (line["platform_id"], line["org_code"]): line
        for line in unknown_uploads.values("platform_id", "org_code").annotate(
            rows=Count("id"),
            days=Count("day", distinct=True),
            tables=Count("table_code", distinct=True),
            records=Sum("records"),
            first_day=Min("day"),
            last_day=Max("day"),
        )
    }
    others = [
        (field, qs)
        for field, qs in (("values", unknown_values), ("results", unknown_results))
        if qs is not None
    ]
    for field, queryset in others:
        for line in (
            _of_unknown_institutions(queryset)
            .values("platform_id", "org_code")
            .annotate(n=Count("id"), first=Min("day"), last=Max("day"))
        ):
            key = (line["platform_id"], line["org_code"])
            entry = lines.setdefault(
                key,
                {
                    "platform_id": key[0],
                    "org_code": key[1],
                    "rows": 0,
                    "days": 0,
                    "tables": 0,
                    "records": 0,
                    "first_day": line["first"],
                    "last_day": line["last"],
                },
            )
            entry[field] = line["n"]
            entry["first_day"] = min(entry["first_day"], line["first"])
            entry["last_day"] = max(entry["last_day"], line["last"])
    return [WaitingCode(**lines[key]) for key in sorted(lines)]


@dataclass(frozen=True)
class WaitingIndicator:
    """One indicator code a platform sent that the catalogue lacks."""

    platform_id: int
    indicator: str
    rows: int
    institutions: int
    days: int
    first_day: object
    last_day: object


def _waiting_code_lines(waiting, field: str) -> list[dict]:
    """One line per (platform, code in `field`) of waiting rows: how many rows,
    institutions and days, the first and the last."""
    return list(
        waiting.values("platform_id", field)
        .annotate(
            rows=Count("id"),
            institutions=Count("org_code", distinct=True),
            days=Count("day", distinct=True),
            first_day=Min("day"),
            last_day=Max("day"),
        )
        .order_by("platform_id", field)
    )


def waiting_indicators(unknown_values) -> list[WaitingIndicator]:
    """One line per (platform, indicator code the catalogue lacks)."""
    unknown = unknown_values.exclude(indicator__in=Indicator.objects.values("code"))
    return [WaitingIndicator(**line) for line in _waiting_code_lines(unknown, "indicator")]


@dataclass(frozen=True)
class WaitingRule:
    """A quality rule code a platform sent results for but has not listed."""

    platform_id: int
    rule: str
    rows: int
    institutions: int
    days: int
    first_day: object
    last_day: object


def waiting_rules(unknown_results) -> list[WaitingRule]:
    """One line per (platform, rule code its rules lack)."""
    listed = QualityRule.objects.filter(platform=OuterRef("platform"), code=OuterRef("rule"))
    unknown = unknown_results.exclude(Exists(listed))
    return [WaitingRule(**line) for line in _waiting_code_lines(unknown, "rule")]


def _store_waiting(
    pulled: Pulled,
    *,
    platform: Platform,
    waiting: list,
    institution_ids: dict[str, int],
    refuse_clashes: bool = True,
    name: str = "",
) -> int:
    """Store the rows of `waiting` (of `pulled`'s review queue) whose institution
    and code are now known. One that would meet a row already stored for the same
    institution, code and day refuses the whole (ResolveRefused, ten named), or
    with `refuse_clashes` False keeps waiting. Returns how many were stored."""
    measure = pulled.measure
    catalogue = measure.catalogue(platform) if measure.catalogue else None

    def code_id(w):
        code = measure.code_of(w)
        return code if catalogue is None else catalogue[code]

    ready = [
        w
        for w in waiting
        if w.org_code in institution_ids and (catalogue is None or measure.code_of(w) in catalogue)
    ]
    if not ready:
        return 0
    have = set(
        measure.daily_model.objects.filter(
            platform=platform,
            institution_id__in=set(institution_ids.values()),
            day__in={w.day for w in ready},
        ).values_list("institution_id", measure.code_column, "day")
    )
    clashes = [w for w in ready if (institution_ids[w.org_code], code_id(w), w.day) in have]
    if clashes and refuse_clashes:
        problems = [pulled.clash(w, name) for w in clashes[:10]]
        if len(clashes) > 10:
            problems.append(_("… and %(n)d more.") % {"n": len(clashes) - 10})
        raise ResolveRefused(problems)
    ready = [w for w in ready if w not in clashes]
    measure_store(
        measure,
        platform=platform,
        rows=[
            measure.row(w.day, w.org_code, measure.code_of(w), *measure.values_of(w)) for w in ready
        ],
        institution_ids=institution_ids,
        code_ids=catalogue,
    )
    pulled.waiting.objects.filter(pk__in=[w.pk for w in ready]).delete()
    return len(ready)


def waiting_store(pulled: Pulled, *, platform: Platform) -> int:
    """Store the platform's rows waiting in `pulled`'s queue that can be now (their
    code was added to the catalogue or listed by the platform's rules since, their
    institution's code mapped); a clash keeps its row waiting. Returns how many
    were stored."""
    with transaction.atomic():
        waiting = list(pulled.waiting.objects.select_for_update().filter(platform=platform))
        if not waiting:
            return 0
        known = known_codes(platform)
        return _store_waiting(
            pulled,
            platform=platform,
            waiting=waiting,
            institution_ids={w.org_code: known[w.org_code] for w in waiting if w.org_code in known},
            refuse_clashes=False,
        )


def waiting_quality_store(*, platform: Platform) -> int:
    """`waiting_store` of the quality results (an import of rules calls it)."""
    return waiting_store(BY_SYNC_KIND[SyncRun.Kind.QUALITY], platform=platform)


def waiting_values_store(*, platform: Platform) -> int:
    """`waiting_store` of the indicator values."""
    return waiting_store(BY_SYNC_KIND[SyncRun.Kind.INDICATORS], platform=platform)


def _audit_decision(*, user, platform: Platform, what: str, code: str, stored: int, **more):
    audit_record(
        action=AuditEvent.Action.REVIEW_DECIDED,
        actor=user,
        obj=platform,
        region=platform.region,
        details={"decision": what, "code": code, "stored": stored, **more},
    )


def unknown_indicator_add(
    *, code: str, name: str, unit: str, kind: str, group: str, user=None, platforms=None
) -> tuple[Indicator, int]:
    """Add an indicator a platform sent to the catalogue and store the values that
    waited for it on `platforms` (those the officer manages; None: every platform),
    those of known institutions; the others keep waiting for their code, and those
    of other platforms are stored by their platform's next pull
    (`waiting_values_store`). Returns the indicator and how many values were
    stored."""
    with transaction.atomic():
        indicator = indicator_add(
            user=user, code=code, name=name, unit=unit, kind=kind, group=group
        )
        stored = 0
        waiting_on = UnknownIndicatorValue.objects.filter(indicator=code)
        if platforms is not None:
            waiting_on = waiting_on.filter(platform__in=platforms)
        for platform in Platform.objects.filter(
            pk__in=list(waiting_on.values_list("platform", flat=True).distinct())
        ):
            waiting = list(
                UnknownIndicatorValue.objects.select_for_update().filter(
                    platform=platform, indicator=code
                )
            )
            known = known_codes(platform)
            here = _store_waiting(
                BY_SYNC_KIND[SyncRun.Kind.INDICATORS],
                platform=platform,
                waiting=waiting,
                institution_ids={
                    w.org_code: known[w.org_code] for w in waiting if w.org_code in known
                },
            )
            stored += here
            _audit_decision(
                user=user, platform=platform, what="indicator_added", code=code, stored=here
            )
        return indicator, stored


def unknown_code_map(
    *, platform: Platform, org_code: str, institution: Institution, user=None
) -> int:
    """Map a platform's unknown code to an institution: its waiting rows are
    stored for that institution and later pulls map the code the same way.
    Refused, with nothing changed, if the institution already has figures for one
    of the same tables on one of the same days (they would add up). Returns the
    number of rows stored (upload rows and indicator values)."""
    with transaction.atomic():
        waiting = {
            pulled: list(
                pulled.waiting.objects.select_for_update()
                .filter(platform=platform, org_code=org_code)
                .order_by("day", pulled.measure.code)
            )
            for pulled in PULLED
        }
        if not any(waiting.values()):
            raise ResolveRefused([_("No rows wait for code %(code)s.") % {"code": org_code}])
        if org_code != institution.org_code:
            if Institution.objects.filter(org_code=org_code).exists():
                raise ResolveRefused(
                    [_("Code %(code)s belongs to a registered institution.") % {"code": org_code}]
                )
            if OrgCodeAlias.objects.filter(platform=platform, org_code=org_code).exists():
                raise ResolveRefused([_("Code %(code)s is already mapped.") % {"code": org_code}])
            OrgCodeAlias.objects.create(
                platform=platform, org_code=org_code, institution=institution, created_by=user
            )
        total = sum(
            _store_waiting(
                pulled,
                platform=platform,
                waiting=rows,
                institution_ids={org_code: institution.pk},
                name=institution.name,
            )
            for pulled, rows in waiting.items()
        )
        _audit_decision(
            user=user,
            platform=platform,
            what="code_mapped",
            code=org_code,
            stored=total,
            institution=institution.org_code,
        )
        return total


def unknown_code_register(
    *,
    platform: Platform,
    org_code: str,
    name: str,
    region,
    category: str,
    grade: str,
    user=None,
    platforms=None,
) -> Institution:
    """Register the institution behind an unknown code (under that code) and
    store its waiting rows, from this platform and any other of `platforms` (those
    the officer manages; None: every platform) that sent the code."""
    with transaction.atomic():
        if Institution.objects.filter(org_code=org_code).exists():
            raise ResolveRefused(
                [_("Code %(code)s belongs to a registered institution.") % {"code": org_code}]
            )
        institution = Institution.objects.create(
            org_code=org_code, name=name, region=region, category=category, grade=grade
        )
        unknown_code_map(platform=platform, org_code=org_code, institution=institution, user=user)
        others = {
            pk
            for pulled in PULLED
            for pk in pulled.waiting.objects.filter(org_code=org_code).values_list(
                "platform", flat=True
            )
        }
        others.discard(platform.pk)
        candidates = Platform.objects.filter(pk__in=list(others))
        if platforms is not None:
            candidates = candidates.filter(pk__in=platforms)
        for other in candidates:
            unknown_code_map(platform=other, org_code=org_code, institution=institution, user=user)
        return institution
