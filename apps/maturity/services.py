"""Recording maturity levels: one service, audited, for the page's form."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import LEVELS, Assessment, Scheme


class AssessmentRefused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def assessment_problems(scheme: str, level: str, target_level: str, year: int) -> list[str]:
    problems = []
    codes = {code for code, _label in LEVELS.get(scheme, [])}
    if scheme not in Scheme.values:
        problems.append(_("Unknown scheme."))
    if level not in codes:
        problems.append(_("The level is not one of the scheme's."))
    if target_level and target_level not in codes:
        problems.append(_("The target level is not one of the scheme's."))
    if not 2000 <= year <= 2099:
        problems.append(_("The year must lie between 2000 and 2099."))
    return problems


@transaction.atomic
def assessment_save(
    *,
    user,
    institution,
    scheme: str,
    level: str,
    year: int,
    certificate: str = "",
    target_level: str = "",
    target_deadline: dt.date | None = None,
    assessment: Assessment | None = None,
) -> Assessment:
    """Record (or correct) a unit's level in a scheme for a year. A second result
    for the same unit, scheme and year replaces the first."""
    problems = assessment_problems(scheme, level, target_level, year)
    if problems:
        raise AssessmentRefused(problems)
    values = {
        "level": level,
        "certificate": certificate.strip(),
        "target_level": target_level,
        "target_deadline": target_deadline,
        "updated_by": user,
    }
    current = (
        assessment
        or Assessment.objects.filter(institution=institution, scheme=scheme, year=year).first()
    )
    if (
        current is not None
        and (current.scheme, current.year) == (scheme, year)
        and all(
            getattr(current, name) == value
            for name, value in values.items()
            if name != "updated_by"
        )
    ):
        return current  # saved unchanged: nothing to record
    clash = Assessment.objects.filter(institution=institution, scheme=scheme, year=year)
    if assessment is not None:
        clash = clash.exclude(pk=assessment.pk)
        if clash.exists():
            raise AssessmentRefused(
                [_("This unit already has a result of this scheme for %(year)d.") % {"year": year}]
            )
        before = {
            f: getattr(assessment, f) for f in ("scheme", "year", *values) if f != "updated_by"
        }
        for name, value in {"scheme": scheme, "year": year, **values}.items():
            setattr(assessment, name, value)
        assessment.save()
    else:
        before = None
        assessment, _created = Assessment.objects.update_or_create(
            institution=institution, scheme=scheme, year=year, defaults=values
        )
    audit_record(
        action=AuditEvent.Action.REGISTRY_CHANGED,
        actor=user,
        obj=assessment,
        region=institution.region,
        details={
            "change": "maturity",
            "scheme": scheme,
            "year": year,
            "level": level,
            "target_level": target_level,
            "before": {k: str(v) for k, v in before.items()} if before else None,
        },
    )
    return assessment
