from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.forms import PortalForm


class LayoutSaveForm(PortalForm):
    """Save the report's columns and order under a name, for the user's region."""

    name = forms.CharField(label=_("Layout name"), max_length=64)
    title = forms.CharField(
        label=_("Table title"),
        max_length=100,
        required=False,
        help_text=_("Printed above the table, before the period."),
    )
