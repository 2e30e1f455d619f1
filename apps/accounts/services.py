import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.audit.signals import user_region
from apps.institutions.models import Institution
from apps.platforms.services import CommandRefused
from apps.regions.models import Region

from .models import OFFICER_ROLES, User


@transaction.atomic
def user_add(
    *, username: str, role: str, scope: str, password: str | None = None, display_name: str = ""
) -> User:
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
        problem = region_level_problem(role, region)
        if problem:
            raise CommandRefused(problem)
    # Saved once with its scope, so the audit log records a creation or a change.
    user = User.objects.filter(username=username).first() or User(username=username)
    _created = user.pk is None
    user.role, user.region, user.institution = role, region, institution
    if display_name:
        user.display_name = display_name
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


class AccountRefused(Exception):
    """An account change the acting officer may not make; the message says why."""


# Letters and digits that cannot be mistaken for one another when read aloud or
# copied from a screen.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"


def temporary_password() -> str:
    """A password an officer hands over once; its holder must replace it at sign-in."""
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _n in range(12))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def region_level_problem(role: str, region: Region) -> str | None:
    """Why an officer of `role` cannot supervise `region`, or None: a province's
    officer a province, a city's a city, a county's a county or district."""
    expected = {
        User.Role.PROVINCE: (
            Region.Level.PROVINCE,
            _("A province user’s supervised region must be a province."),
        ),
        User.Role.CITY: (Region.Level.CITY, _("A city user’s supervised region must be a city.")),
        User.Role.COUNTY: (
            Region.Level.COUNTY,
            _("A county user’s supervised region must be a county or district."),
        ),
    }
    level, problem = expected[role]
    return None if region.level == level else problem


def scope_check(*, by: User, role: str, region: Region | None, institution) -> None:
    """Whether `by` may give an account this role and scope: a county officer of a
    county below them, a city officer of a city below them (a province's officers),
    a province officer (superusers),
    or hospital staff of an institution in their region. Superusers may give any
    scope that fits the role."""
    if role == User.Role.HOSPITAL:
        if institution is None:
            raise AccountRefused(_("Hospital users must have an affiliated institution."))
        if by.role and not institution.region.path.startswith(by.region.path):
            raise AccountRefused(_("The institution lies outside the region you supervise."))
        return
    if role not in OFFICER_ROLES:
        raise AccountRefused(_("Unknown role “%(role)s”.") % {"role": role})
    if region is None:
        raise AccountRefused(_("Province, city and county users must have a supervised region."))
    problem = region_level_problem(role, region)
    if problem:
        raise AccountRefused(problem)
    if by.role and (region == by.region or not region.path.startswith(by.region.path)):
        raise AccountRefused(
            _("You may only create and change accounts of the regions below %(region)s.")
            % {"region": by.region.name}
        )


@transaction.atomic
def user_create(
    *,
    by: User,
    username: str,
    display_name: str,
    role: str,
    region: Region | None = None,
    institution=None,
    phone: str = "",
    email: str = "",
) -> tuple[User, str]:
    """A new account with a temporary password (returned, to be handed over once),
    which its holder must change at the first sign-in."""
    scope_check(by=by, role=role, region=region, institution=institution)
    if User.objects.filter(username__iexact=username).exists():
        raise AccountRefused(_("The login name %(name)s is taken.") % {"name": username})
    user = User(
        username=username,
        display_name=display_name,
        phone=phone,
        email=email,
        role=role,
        region=region if role != User.Role.HOSPITAL else None,
        institution=institution if role == User.Role.HOSPITAL else None,
        must_change_password=True,
    )
    password = temporary_password()
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user, password


@transaction.atomic
def user_update(
    *,
    by: User,
    user: User,
    display_name: str,
    role: str,
    region: Region | None,
    institution,
    phone: str,
    email: str,
    is_active: bool,
) -> User:
    """Change an account's name, contact, scope or whether it may sign in. Saving it
    unchanged changes nothing (and records nothing)."""
    scope_check(by=by, role=role, region=region, institution=institution)
    if user == by and not is_active:
        raise AccountRefused(_("You cannot deactivate your own account."))
    user.display_name, user.phone, user.email, user.is_active = (
        display_name,
        phone,
        email,
        is_active,
    )
    user.role = role
    user.region = region if role != User.Role.HOSPITAL else None
    user.institution = institution if role == User.Role.HOSPITAL else None
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_reset_password(*, by: User, user: User) -> str:
    """A new temporary password (returned once); the holder must change it at the
    next sign-in. Audited."""
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit_record(
        action=AuditEvent.Action.PASSWORD_RESET,
        actor=by,
        obj=user,
        region=user_region(user),
    )
    return password


@transaction.atomic
def user_password_changed(*, user: User) -> None:
    """The holder chose a new password: no longer a temporary one. Audited."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    audit_record(
        action=AuditEvent.Action.PASSWORD_CHANGED, actor=user, obj=user, region=user_region(user)
    )
