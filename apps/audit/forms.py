from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("", _("All actions")), *AuditEvent.Action.choices],
        required=False,
    )
    user = forms.CharField(label=_("User name"), max_length=150, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filter(self, events):
        data = self.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["user"]:
            events = events.filter(actor_label__iexact=data["user"].strip())
        if data["start"]:
            events = events.filter(at__date__gte=data["start"])
        if data["end"]:
            events = events.filter(at__date__lte=data["end"])
        return events
