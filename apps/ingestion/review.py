"""The review queue: rows a platform sent for institution codes the registry does
not know wait in UnknownUpload (and their indicator values in UnknownIndicatorValue)
until an officer maps the code to an institution (an alias every later pull uses)
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
from apps.indicators.models import DailyIndicator, Indicator
from apps.indicators.services import IndicatorRow, indicator_add, indicators_store
from apps.institutions.models import Institution
from apps.platforms.models import Platform
from apps.quality.models import DailyQuality, QualityRule
from apps.quality.services import QualityRow, quality_store
from apps.uploads.models import DailyUpload
from apps.uploads.services import UploadRow, uploads_store

from .models import OrgCodeAlias, UnknownIndicatorValue, UnknownQualityValue, UnknownUpload


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


def waiting_indicators(unknown_values) -> list[WaitingIndicator]:
    """One line per (platform, indicator code the catalogue lacks)."""
    lines = (
        unknown_values.exclude(indicator__in=Indicator.objects.values("code"))
        .values("platform_id", "indicator")
        .annotate(
            rows=Count("id"),
            institutions=Count("org_code", distinct=True),
            days=Count("day", distinct=True),
            first_day=Min("day"),
            last_day=Max("day"),
        )
        .order_by("platform_id", "indicator")
    )
    return [WaitingIndicator(**line) for line in lines]


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
    lines = (
        unknown_results.exclude(Exists(listed))
        .values("platform_id", "rule")
        .annotate(
            rows=Count("id"),
            institutions=Count("org_code", distinct=True),
            days=Count("day", distinct=True),
            first_day=Min("day"),
            last_day=Max("day"),
        )
        .order_by("platform_id", "rule")
    )
    return [WaitingRule(**line) for line in lines]


def _ready_and_clashes(waiting, institution_ids, known, field, stored, code_path):
    """The waiting rows whose institution and `field` (an indicator's or a rule's
    code, among `known`) are now known, and those of them that would meet a row of
    `stored` (the platform's daily rows; their code at `code_path`) for the same
    institution, code and day."""
    ready = [w for w in waiting if w.org_code in institution_ids and getattr(w, field) in known]
    if not ready:
        return [], []
    have = set(
        stored.filter(
            institution_id__in=set(institution_ids.values()), day__in={w.day for w in ready}
        ).values_list("institution_id", code_path, "day")
    )
    clashes = [w for w in ready if (institution_ids[w.org_code], getattr(w, field), w.day) in have]
    return ready, clashes


def _refusal(clashes, describe) -> ResolveRefused:
    """The clashes named, ten at most, and how many more."""
    problems = [describe(w) for w in clashes[:10]]
    if len(clashes) > 10:
        problems.append(_("… and %(n)d more.") % {"n": len(clashes) - 10})
    return ResolveRefused(problems)


def _store_waiting_values(
    *,
    platform: Platform,
    waiting: list[UnknownIndicatorValue],
    institution_ids: dict[str, int],
    refuse_clashes: bool = True,
) -> int:
    """Store waiting indicator values whose institution and indicator are now known;
    refused (ResolveRefused) if one would meet a value already stored for the same
    institution, indicator and day, or with `refuse_clashes` False that one keeps
    waiting. Returns how many were stored."""
    catalogue = dict(Indicator.objects.values_list("code", "pk"))
    ready, clashes = _ready_and_clashes(
        waiting,
        institution_ids,
        catalogue,
        "indicator",
        DailyIndicator.objects.filter(platform=platform),
        "indicator__code",
    )
    if not ready:
        return 0
    if clashes and refuse_clashes:
        raise _refusal(
            clashes,
            lambda w: (
                _("Code %(code)s already has a value of %(indicator)s on %(day)s.")
                % {"code": w.org_code, "indicator": w.indicator, "day": w.day.isoformat()}
            ),
        )
    ready = [w for w in ready if w not in clashes]
    if not ready:
        return 0
    indicators_store(
        platform=platform,
        rows=[IndicatorRow(w.day, w.org_code, w.indicator, w.value) for w in ready],
        institution_ids=institution_ids,
        indicator_ids=catalogue,
    )
    UnknownIndicatorValue.objects.filter(pk__in=[w.pk for w in ready]).delete()
    return len(ready)


def _store_waiting_quality(
    *,
    platform: Platform,
    waiting: list[UnknownQualityValue],
    institution_ids: dict[str, int],
    refuse_clashes: bool = True,
) -> int:
    """Store waiting quality results whose institution and rule are now known. One
    that would meet a result already stored for the same institution, rule and day
    refuses the whole (ResolveRefused), or with `refuse_clashes` False keeps
    waiting. Returns how many were stored."""
    rules = dict(QualityRule.objects.filter(platform=platform).values_list("code", "pk"))
    ready, clashes = _ready_and_clashes(
        waiting,
        institution_ids,
        rules,
        "rule",
        DailyQuality.objects.filter(platform=platform),
        "rule__code",
    )
    if not ready:
        return 0
    if clashes and refuse_clashes:
        raise _refusal(
            clashes,
            lambda w: (
                _("Code %(code)s already has a result of rule %(rule)s on %(day)s.")
                % {"code": w.org_code, "rule": w.rule, "day": w.day.isoformat()}
            ),
        )
    ready = [w for w in ready if w not in clashes]
    quality_store(
        platform=platform,
        rows=[QualityRow(w.day, w.org_code, w.rule, w.checked, w.failed) for w in ready],
        institution_ids=institution_ids,
        rule_ids=rules,
    )
    UnknownQualityValue.objects.filter(pk__in=[w.pk for w in ready]).delete()
    return len(ready)


def waiting_quality_store(*, platform: Platform) -> int:
    """Store the platform's waiting quality results that can be now (their rule was
    listed or imported since, their code mapped); a clash keeps its result waiting.
    Returns how many were stored."""
    from .services import known_codes

    with transaction.atomic():
        waiting = list(UnknownQualityValue.objects.select_for_update().filter(platform=platform))
        known = known_codes(platform)
        return _store_waiting_quality(
            platform=platform,
            waiting=waiting,
            institution_ids={w.org_code: known[w.org_code] for w in waiting if w.org_code in known},
            refuse_clashes=False,
        )


def waiting_values_store(*, platform: Platform) -> int:
    """Store the platform's waiting indicator values that can be now (their
    indicator was added to the catalogue since, by the officers of another
    platform, or their code mapped); a clash keeps its value waiting. Returns how
    many were stored."""
    from .services import known_codes

    with transaction.atomic():
        waiting = list(
            UnknownIndicatorValue.objects.select_for_update().filter(
                platform=platform, indicator__in=Indicator.objects.values("code")
            )
        )
        if not waiting:
            return 0
        known = known_codes(platform)
        return _store_waiting_values(
            platform=platform,
            waiting=waiting,
            institution_ids={w.org_code: known[w.org_code] for w in waiting if w.org_code in known},
            refuse_clashes=False,
        )


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
    from .services import known_codes

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
            here = _store_waiting_values(
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
        waiting = list(
            UnknownUpload.objects.select_for_update()
            .filter(platform=platform, org_code=org_code)
            .order_by("day", "table_code")
        )
        values = list(
            UnknownIndicatorValue.objects.select_for_update()
            .filter(platform=platform, org_code=org_code)
            .order_by("day", "indicator")
        )
        results = list(
            UnknownQualityValue.objects.select_for_update()
            .filter(platform=platform, org_code=org_code)
            .order_by("day", "rule")
        )
        if not waiting and not values and not results:
            raise ResolveRefused([_("No rows wait for code %(code)s.") % {"code": org_code}])
        if org_code != institution.org_code:
            if Institution.objects.filter(org_code=org_code).exists():
                raise ResolveRefused(
                    [_("Code %(code)s belongs to a registered institution.") % {"code": org_code}]
                )
            if OrgCodeAlias.objects.filter(platform=platform, org_code=org_code).exists():
                raise ResolveRefused([_("Code %(code)s is already mapped.") % {"code": org_code}])
        days = {w.day for w in waiting}
        stored = set(
            DailyUpload.objects.filter(
                platform=platform, institution=institution, day__in=days
            ).values_list("day", "table_code")
        )
        clashes = [w for w in waiting if (w.day, w.table_code) in stored]
        if clashes:
            problems = [
                _("%(name)s already has figures for table %(table)s on %(day)s.")
                % {"name": institution.name, "table": w.table_code, "day": w.day.isoformat()}
                for w in clashes[:10]
            ]
            if len(clashes) > 10:
                problems.append(_("… and %(n)d more.") % {"n": len(clashes) - 10})
            raise ResolveRefused(problems)
        if org_code != institution.org_code:
            OrgCodeAlias.objects.create(
                platform=platform, org_code=org_code, institution=institution, created_by=user
            )
        stored_values = _store_waiting_values(
            platform=platform, waiting=values, institution_ids={org_code: institution.pk}
        )
        stored_results = _store_waiting_quality(
            platform=platform, waiting=results, institution_ids={org_code: institution.pk}
        )
        uploads_store(
            platform=platform,
            rows=[UploadRow(w.day, org_code, w.table_code, w.records, w.rejected) for w in waiting],
            institution_ids={org_code: institution.pk},
        )
        UnknownUpload.objects.filter(pk__in=[w.pk for w in waiting]).delete()
        total = len(waiting) + stored_values + stored_results
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
            *UnknownUpload.objects.filter(org_code=org_code).values_list("platform", flat=True),
            *UnknownIndicatorValue.objects.filter(org_code=org_code).values_list(
                "platform", flat=True
            ),
            *UnknownQualityValue.objects.filter(org_code=org_code).values_list(
                "platform", flat=True
            ),
        }
        others.discard(platform.pk)
        candidates = Platform.objects.filter(pk__in=list(others))
        if platforms is not None:
            candidates = candidates.filter(pk__in=platforms)
        for other in candidates:
            unknown_code_map(platform=other, org_code=org_code, institution=institution, user=user)
        return institution
