"""Reading maturity results."""

from __future__ import annotations

from .models import Assessment


def current_assessments(assessments) -> list[Assessment]:
    """Each unit's latest result per scheme."""
    latest: dict[tuple[int, str], Assessment] = {}
    for a in assessments.select_related("institution__region").order_by("year", "pk"):
        latest[(a.institution_id, a.scheme)] = a
    return sorted(
        latest.values(),
        key=lambda a: (a.institution.region.sort_key, a.institution.org_code, a.scheme),
    )
