from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.forms import DateInput, PortalForm
from apps.rectification.forms import InstitutionChoiceField

from .models import Campaign, Inspection


class UnitsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.region_label} · {obj.name}（{obj.org_code}）"


class CampaignForm(PortalForm, forms.ModelForm):
    small = False
    units = UnitsField(
        label=_("Units"),
        queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 12, "class": "form-select"}),
        help_text=_("Hold Ctrl to choose several."),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "platform",
            "region",
            "start",
            "end",
            "completeness_min",
            "conformance_min",
            "consistency_min",
            "linkage_min",
            "timeliness_min",
            "units",
            "note",
        ]
        widgets = {"start": DateInput(), "end": DateInput()}

    def __init__(self, *args, regions, institutions, platforms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["platform"].queryset = platforms
        self.fields["units"].queryset = institutions.filter(active=True).select_related("region")
        self.fields["note"].widget.attrs["rows"] = 2


class InspectionForm(PortalForm, forms.ModelForm):
    small = False

    class Meta:
        model = Inspection
        fields = ["day", "institution", "region", "checklist", "findings"]
        widgets = {"day": DateInput()}

    def __init__(self, *args, campaign: Campaign, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = campaign.units.select_related("region")
        self.fields["region"].queryset = regions.filter(path__startswith=campaign.region.path)
        for name in ("checklist", "findings"):
            self.fields[name].widget.attrs["rows"] = 4


class ProblemTaskForm(PortalForm):
    """A task from one problem of a unit (the key the problem list gives)."""

    small = False
    institution = InstitutionChoiceField(
        label=_("Institution"), queryset=None, to_field_name="org_code"
    )
    key = forms.CharField(widget=forms.HiddenInput, required=False)
    finding = forms.CharField(
        label=_("Problem"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    requirement = forms.CharField(
        label=_("Rectification requirement"), widget=forms.Textarea(attrs={"rows": 3})
    )
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = units
