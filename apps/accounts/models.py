from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A portal user. Outside superusers, a user sees one scope: a region (every
    institution under it, at any depth) or one institution."""

    class Role(models.TextChoices):
        PROVINCE = "province", _("Province health commission")
        CITY = "city", _("City health commission")
        COUNTY = "county", _("County health commission")
        HOSPITAL = "hospital", _("Hospital IT department")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("supervised region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("affiliated institution"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # 姓名: what pages, bulletins, tasks and the audit log show instead of the login.
    display_name = models.CharField(_("name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Set when an officer resets the password: the user must choose a new one first.
    must_change_password = models.BooleanField(_("must change the password"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_scope_matches_role",
                condition=Q(role="", region__isnull=True, institution__isnull=True)
                | Q(
                    role__in=["province", "city", "county"],
                    region__isnull=False,
                    institution__isnull=True,
                )
                | Q(role="hospital", region__isnull=True, institution__isnull=False),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.role in OFFICER_ROLES and not self.region_id:
            raise ValidationError(
                {"region": _("Province, city and county users must have a supervised region.")}
            )
        if self.role == self.Role.HOSPITAL and not self.institution_id:
            raise ValidationError(
                {"institution": _("Hospital users must have an affiliated institution.")}
            )

    @property
    def scope_key(self) -> str:
        """What decides which rows the user may see, for keys of cached pages: a
        user moved to another region must not be served the old region's page."""
        return f"{self.role}:{self.region_id}:{self.institution_id}:{self.is_superuser:d}"

    @property
    def is_officer(self) -> bool:
        """A commission's officer (province, city or county) with a region."""
        return self.role in OFFICER_ROLES and self.region_id is not None

    @property
    def is_commission(self) -> bool:
        """An officer of a province or city commission: they run the portal for their
        region (pulls, imports, accounts, bulletins, the audit log)."""
        return self.role in COMMISSION_ROLES and self.region_id is not None

    @property
    def label(self) -> str:
        """The name pages, bulletins, tasks and the audit log show for the user."""
        return self.display_name or self.get_full_name() or self.username

    @property
    def scope_label(self) -> str:
        if self.is_superuser and not self.role:
            return str(_("All"))
        return str(self.institution or self.region or "")


# The roles whose scope is a region, and those of them that run the portal for it.
OFFICER_ROLES = (User.Role.PROVINCE, User.Role.CITY, User.Role.COUNTY)
COMMISSION_ROLES = (User.Role.PROVINCE, User.Role.CITY)

# The roles from the widest scope to the narrowest.
ROLE_ORDER = (User.Role.PROVINCE, User.Role.CITY, User.Role.COUNTY, User.Role.HOSPITAL)


def roles_below(user) -> list[tuple[str, str]]:
    """The roles an officer may give: those below their own (a city officer: county
    officers and hospital staff); a superuser, every role."""
    if user.role not in ROLE_ORDER:
        return list(User.Role.choices)
    below = ROLE_ORDER[ROLE_ORDER.index(user.role) + 1 :]
    return [(role.value, role.label) for role in below]
