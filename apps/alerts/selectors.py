"""Who hears of a flip: the institution's own staff, the officers whose region holds
it, and the robot channels of those regions."""

from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.institutions.models import Institution

from .models import Channel


def _region_codes(institution: Institution) -> list[str]:
    # The region and every region above it: its materialized path, "410000/411500/411526/".
    return [code for code in institution.region.path.split("/") if code]


def flip_recipients(institution: Institution) -> QuerySet[User]:
    """Active users who see the institution: its hospital users, and the city and
    county officers whose region contains its region (the rule of institutions_for)."""
    return User.objects.filter(is_active=True).filter(
        Q(role=User.Role.HOSPITAL, institution=institution)
        | Q(
            role__in=[User.Role.CITY, User.Role.COUNTY],
            region_id__in=_region_codes(institution),
        )
    )


def flip_channels(institution: Institution) -> QuerySet[Channel]:
    """Enabled robot channels of the institution's region and the regions above it."""
    return Channel.objects.filter(enabled=True, region_id__in=_region_codes(institution))
