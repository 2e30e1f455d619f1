"""After a platform's night, the dashboards its officers open first are computed
into the cache, so that the first officer of the morning does not wait for them
(a province's, cold, grows with its institutions: docs/scaling.md)."""

from __future__ import annotations

import logging

from django.db.models import Q

from apps.accounts.models import OFFICER_ROLES, User
from apps.accounts.scoping import institutions_for, platforms_for
from apps.metrics.figures import data_span
from apps.metrics.periods import default_period
from apps.platforms.models import Platform

from .dashboard import dashboard_for

logger = logging.getLogger(__name__)


def dashboards_warm(platform: Platform) -> int:
    """The dashboard of `platform` and its default period (the one a page without
    `?period=` shows) of every scope an active officer has: each scope computed once,
    through the page's own construction (`dashboard_for`), its figures, months,
    movers and anomalies left in the cache under the data version of now. Returns
    the number of scopes warmed."""
    _first, last = data_span(platform)
    if last is None:
        return 0
    period = default_period(last)
    officers = (
        User.objects.filter(is_active=True)
        .filter(Q(role__in=OFFICER_ROLES, region__isnull=False) | Q(is_superuser=True, role=""))
        .select_related("region")
        .order_by("pk")
    )
    scopes: set[str] = set()
    for user in officers:
        scope = str(institutions_for(user).query)
        if scope in scopes or not platforms_for(user).filter(pk=platform.pk).exists():
            continue
        scopes.add(scope)
        dashboard_for(user, platform, period).panels()
    logger.info("warmed %d dashboards of platform %s", len(scopes), platform.code)
    return len(scopes)
