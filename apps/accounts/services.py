from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.institutions.models import Institution
from apps.platforms.services import CommandRefused
from apps.regions.models import Region

from .models import User


@transaction.atomic
def user_add(*, username: str, role: str, scope: str, password: str | None = None) -> User:
    """Create or update a user with a role and a scope (a region code for city and
    county officers, an org_code for hospital staff)."""
    if role not in User.Role.values:
        raise CommandRefused(_("Unknown role “%(role)s”.") % {"role": role})
    region = institution = None
    if role == User.Role.HOSPITAL:
        institution = Institution.objects.filter(org_code=scope).first()
        if institution is None:
            raise CommandRefused(_("Unknown institution code “%(code)s”.") % {"code": scope})
    else:
        region = Region.objects.filter(code=scope).first()
        if region is None:
            raise CommandRefused(_("Unknown region code “%(code)s”.") % {"code": scope})
        expected = Region.Level.CITY if role == User.Role.CITY else Region.Level.COUNTY
        if role == User.Role.COUNTY and region.level != expected:
            raise CommandRefused(
                _("A county user’s supervised region must be a county or district.")
            )
        if role == User.Role.CITY and region.level == Region.Level.COUNTY:
            raise CommandRefused(_("A city user’s supervised region must be a city or a province."))
    # Saved once with its scope, so the audit log records a creation or a change.
    user = User.objects.filter(username=username).first() or User(username=username)
    _created = user.pk is None
    user.role, user.region, user.institution = role, region, institution
    if password:
        try:  # the same validators as the admin's password forms
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandRefused(" ".join(exc.messages)) from None
        user.set_password(password)
    elif _created:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user
