from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.forms import PortalForm

from .models import Indicator
from .services import is_valid_indicator_code


class IndicatorForm(PortalForm):
    """An indicator officers add to the catalogue (the built-in ones stay as they are)."""

    small = False
    code = forms.CharField(
        label=_("Indicator code"),
        max_length=64,
        help_text=_("Lower-case letters, digits and _, as the platform and files name it."),
    )
    name = forms.CharField(label=_("Indicator name"), max_length=64)
    unit = forms.CharField(label=_("Unit"), max_length=16, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Indicator.Kind.choices)
    group = forms.CharField(label=_("Group"), max_length=32, required=False)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not is_valid_indicator_code(code):
            raise forms.ValidationError(_("Use lower-case letters, digits and _ only."))
        if Indicator.objects.filter(code=code).exists():
            raise forms.ValidationError(
                _("The catalogue already has an indicator %(code)s.") % {"code": code}
            )
        return code
