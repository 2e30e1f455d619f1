"""Who sees which bulletin: `bulletins_for` is the one scoping function of the
Bulletin model. City officers (and superusers) see the drafts and bulletins of
their region; everyone whose scope lies within a bulletin's region sees it once
published — on a platform the user sees (`platforms_for`)."""

from django.db.models import Q, QuerySet

from apps.accounts.models import COMMISSION_ROLES
from apps.accounts.scoping import platforms_for, scope_path

from .models import Bulletin


def _ancestor_codes(path: str) -> list[str]:
    return [code for code in path.split("/") if code]


def bulletins_for(user) -> QuerySet[Bulletin]:
    if not user.is_authenticated:
        return Bulletin.objects.none()
    if user.is_superuser and not user.role:
        return Bulletin.objects.all()
    path = scope_path(user)
    if path is None:
        return Bulletin.objects.none()
    published_above = Q(status=Bulletin.Status.PUBLISHED, region__code__in=_ancestor_codes(path))
    visible = published_above
    if user.role in COMMISSION_ROLES:
        visible |= Q(region__path__startswith=path)
    return Bulletin.objects.filter(visible, platform__in=platforms_for(user))


def can_manage_bulletins(user, region=None) -> bool:
    """City officers (for regions within theirs) and superusers create, edit and
    publish bulletins."""
    if not user.is_authenticated:
        return False
    if user.is_superuser and not user.role:
        return True
    if user.role not in COMMISSION_ROLES or not user.region_id:
        return False
    return region is None or region.path.startswith(user.region.path)
