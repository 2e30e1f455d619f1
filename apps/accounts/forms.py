from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from apps.core.forms import PortalForm
from apps.institutions.models import Institution
from apps.regions.models import Region

from .models import OFFICER_ROLES, User


class InstitutionField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Institution) -> str:
        return f"{obj.region_label} · {obj.name}（{obj.org_code}）"


class RegionField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.name}（{obj.code}）"


class UserForm(PortalForm):
    """An account an officer creates or edits: who (login, name, phone, email), the
    role and its scope, and (editing) whether it may sign in. The scope choices are
    the officer's own; the service checks them again."""

    small = False
    username = forms.CharField(
        label=_("Login name"),
        max_length=User._meta.get_field("username").max_length,
        validators=[UnicodeUsernameValidator()],
    )
    display_name = forms.CharField(
        label=_("Name"), max_length=User._meta.get_field("display_name").max_length
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=User._meta.get_field("phone").max_length, required=False
    )
    email = forms.EmailField(
        label=_("Email"), max_length=User._meta.get_field("email").max_length, required=False
    )
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices)
    region = RegionField(
        label=_("Supervised region"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        help_text=_("For city and county officers."),
    )
    institution = InstitutionField(
        label=_("Affiliated institution"),
        queryset=Institution.objects.none(),
        to_field_name="org_code",
        required=False,
        help_text=_("For hospital staff."),
    )
    is_active = forms.BooleanField(
        label=_("May sign in"),
        required=False,
        help_text=_("Untick to deactivate the account; it is kept with its history."),
    )

    def __init__(self, *args, regions, institutions, creating: bool, roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        if roles is not None:  # the roles below the officer's own
            self.fields["role"].choices = roles
        self.fields["region"].queryset = regions.order_by("sort_key")
        self.fields["institution"].queryset = institutions.select_related("region").order_by(
            "region__sort_key", "name"
        )
        if creating:
            del self.fields["is_active"]
        else:
            del self.fields["username"]

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role == User.Role.HOSPITAL and not data.get("institution"):
            self.add_error("institution", _("Hospital users must have an affiliated institution."))
        if role in OFFICER_ROLES and not data.get("region"):
            self.add_error(
                "region", _("Province, city and county users must have a supervised region.")
            )
        return data

    @staticmethod
    def initial_for(user: User) -> dict:
        return {
            "display_name": user.display_name,
            "phone": user.phone,
            "email": user.email,
            "role": user.role,
            "region": user.region,
            "institution": user.institution,
            "is_active": user.is_active,
        }


class OwnPasswordForm(PasswordChangeForm):
    """Django's own form (old password, the new one twice, the validators), styled."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
