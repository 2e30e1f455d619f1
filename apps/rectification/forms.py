from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.scoping import institutions_for, platforms_for, regions_for
from apps.bulletins.selectors import bulletins_for
from apps.core.forms import DateInput, PortalForm
from apps.institutions.models import Institution

from .models import TaskState

OVERDUE = "overdue"


class TaskFilterForm(PortalForm):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All states")), *TaskState.choices], required=False
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=None,
        to_field_name="code",
        required=False,
        empty_label=_("All regions"),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user)


class InstitutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Institution) -> str:
        return f"{obj.region_label} · {obj.name}（{obj.org_code}）"


class TaskOpenForm(PortalForm):
    institution = InstitutionChoiceField(
        label=_("Institution"), queryset=None, to_field_name="org_code"
    )
    platform = forms.ModelChoiceField(
        label=_("Platform"), queryset=None, required=False, to_field_name="code"
    )
    bulletin = forms.ModelChoiceField(label=_("Bulletin"), queryset=None, required=False)
    problem = forms.CharField(
        label=_("Problem"), widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"})
    )
    requirement = forms.CharField(
        label=_("Rectification requirement"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = (
            institutions_for(user).filter(active=True).select_related("region")
        )
        self.fields["platform"].queryset = platforms_for(user)
        self.fields["bulletin"].queryset = bulletins_for(user).order_by("-issue_date", "-id")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class AnswerForm(PortalForm):
    text = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"})
    )
    files = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("PDF, Word, Excel, JPG, PNG, TXT or ZIP, up to 10 MB each."),
    )


class NoteForm(PortalForm):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
