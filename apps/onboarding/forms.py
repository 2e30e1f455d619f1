from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.forms import DateInput, PortalForm

from .models import OnboardingStep


class PlanForm(PortalForm):
    name = forms.CharField(
        label=_("Phase"),
        max_length=32,
        initial="一期",
        help_text=_("One name per phase of the platform, e.g. Phase 1."),
    )
    deadline = forms.DateField(label=_("Go-live deadline"), widget=DateInput())
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class StepDatesForm(PortalForm):
    """One optional date per step of the plan; an empty date clears the step."""

    def __init__(self, *args, steps: list[OnboardingStep], **kwargs):
        super().__init__(*args, **kwargs)
        self.steps = steps
        for step in steps:
            self.fields[f"step_{step.pk}"] = forms.DateField(
                label=step.name,
                required=False,
                widget=DateInput(),
            )

    def dates(self):
        """(step, date or None) pairs from the cleaned data."""
        return [(step, self.cleaned_data[f"step_{step.pk}"]) for step in self.steps]
