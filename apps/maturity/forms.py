from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.forms import PortalForm

from .models import ALL_LEVELS, Scheme
from .services import assessment_problems


class AssessmentForm(PortalForm):
    small = False
    institution = forms.ModelChoiceField(queryset=None, label=_("Unit"))
    scheme = forms.ChoiceField(label=_("Scheme"), choices=Scheme.choices)
    level = forms.ChoiceField(label=_("Level"), choices=ALL_LEVELS)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2099)
    certificate = forms.CharField(
        label=_("Certificate or notice number"), max_length=100, required=False
    )
    target_level = forms.ChoiceField(
        label=_("Target level"), choices=[("", _("(none)")), *ALL_LEVELS], required=False
    )
    target_deadline = forms.DateField(label=_("Target deadline"), required=False)

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions

    def clean(self):
        data = super().clean()
        if {"scheme", "level", "year"} <= data.keys():
            for problem in assessment_problems(
                data["scheme"], data["level"], data.get("target_level", ""), data["year"]
            ):
                self.add_error(None, problem)
        if data.get("target_deadline") and not data.get("target_level"):
            self.add_error("target_level", _("A deadline needs a target level."))
        return data
