"""The review queue: rows a platform sent for institution codes the registry does
not know wait in UnknownUpload until an officer maps the code to an institution
(an alias every later pull uses) or registers the institution. Either way the
waiting rows are then stored and count, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.utils.translation import gettext as _

from apps.institutions.models import Institution
from apps.platforms.models import Platform
from apps.uploads.models import DailyUpload
from apps.uploads.services import UploadRow, uploads_store

from .models import OrgCodeAlias, UnknownUpload


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


def waiting_codes(unknown_uploads) -> list[WaitingCode]:
    """The queue, one line per (platform, code), from a scoped UnknownUpload queryset."""
    lines = (
        unknown_uploads.values("platform_id", "org_code")
        .annotate(
            rows=Count("id"),
            days=Count("day", distinct=True),
            tables=Count("table_code", distinct=True),
            records=Sum("records"),
            first_day=Min("day"),
            last_day=Max("day"),
        )
        .order_by("platform_id", "org_code")
    )
    return [WaitingCode(**line) for line in lines]


def unknown_code_map(
    *, platform: Platform, org_code: str, institution: Institution, user=None
) -> int:
    """Map a platform's unknown code to an institution: its waiting rows are
    stored for that institution and later pulls map the code the same way.
    Refused, with nothing changed, if the institution already has figures for one
    of the same tables on one of the same days (they would add up). Returns the
    number of rows stored."""
    with transaction.atomic():
        waiting = list(
            UnknownUpload.objects.select_for_update()
            .filter(platform=platform, org_code=org_code)
            .order_by("day", "table_code")
        )
        if not waiting:
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
        uploads_store(
            platform=platform,
            rows=[UploadRow(w.day, org_code, w.table_code, w.records, w.rejected) for w in waiting],
            institution_ids={org_code: institution.pk},
        )
        UnknownUpload.objects.filter(pk__in=[w.pk for w in waiting]).delete()
        return len(waiting)


def unknown_code_register(
    *,
    platform: Platform,
    org_code: str,
    name: str,
    region,
    category: str,
    grade: str,
    user=None,
) -> Institution:
    """Register the institution behind an unknown code (under that code) and
    store its waiting rows, from this platform and any other that sent the code."""
    with transaction.atomic():
        if Institution.objects.filter(org_code=org_code).exists():
            raise ResolveRefused(
                [_("Code %(code)s belongs to a registered institution.") % {"code": org_code}]
            )
        institution = Institution.objects.create(
            org_code=org_code, name=name, region=region, category=category, grade=grade
        )
        unknown_code_map(platform=platform, org_code=org_code, institution=institution, user=user)
        others = (
            UnknownUpload.objects.filter(org_code=org_code)
            .values_list("platform", flat=True)
            .distinct()
        )
        for other in Platform.objects.filter(pk__in=list(others)):
            unknown_code_map(platform=other, org_code=org_code, institution=institution, user=user)
        return institution
