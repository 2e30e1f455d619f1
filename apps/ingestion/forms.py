"""Forms of the sync pages: a backfill, and resolving an unknown code."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.forms import DateInput, PortalForm
from apps.institutions.models import Institution
from apps.regions.models import Region

MAX_BACKFILL_DAYS = 366


class BackfillForm(PortalForm):
    first_day = forms.DateField(label=_("From"), widget=DateInput())
    last_day = forms.DateField(label=_("To"), widget=DateInput())
    with_institutions = forms.BooleanField(label=_("Connection statuses too"), required=False)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                raise forms.ValidationError(_("The last day is before the first."))
            if last >= timezone.localdate():
                raise forms.ValidationError(_("A platform has statistics up to yesterday."))
            if (last - first).days + 1 > MAX_BACKFILL_DAYS:
                raise forms.ValidationError(
                    _("At most %(n)d days at once.") % {"n": MAX_BACKFILL_DAYS}
                )
        return data

    @classmethod
    def initial_range(cls) -> dict:
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        return {"first_day": yesterday - dt.timedelta(days=7), "last_day": yesterday}


SELECT = {"class": "form-select form-select-sm"}


class MapCodeForm(PortalForm):
    institution = forms.ModelChoiceField(
        label=_("Healthcare institution"),
        queryset=Institution.objects.none(),
        to_field_name="org_code",
        widget=forms.Select(attrs=SELECT),
    )

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions.select_related("region").order_by(
            "region__sort_key", "name"
        )
        self.fields["institution"].label_from_instance = lambda i: (
            f"{i.region_label} · {i.name}（{i.org_code}）"
        )


class RegisterCodeForm(PortalForm):
    name = forms.CharField(
        label=_("Institution name"),
        max_length=128,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    region = forms.ModelChoiceField(
        label=_("Supervising region"),
        queryset=Region.objects.none(),
        to_field_name="code",
        widget=forms.Select(attrs=SELECT),
    )
    category = forms.ChoiceField(
        label=_("Institution category"),
        choices=Institution.Category.choices,
        widget=forms.Select(attrs=SELECT),
    )
    grade = forms.ChoiceField(
        label=_("Grade"), choices=Institution.Grade.choices, widget=forms.Select(attrs=SELECT)
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions.order_by("sort_key")


class PlatformSettingsForm(PortalForm):
    """The interface settings on a platform's page. The token is write-only: the
    field is always empty, and left empty it keeps the stored token."""

    api_url = forms.URLField(
        label=_("Statistics interface URL"),
        max_length=200,
        required=False,
        assume_scheme="https",
        help_text=_(
            "The base URL of the platform's statistics interface, e.g. https://…/stats/api/v1"
        ),
    )
    api_token = forms.CharField(
        label=_("Interface token"),
        max_length=500,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Left empty, the stored token is kept. It is never shown again."),
    )
    silent_after_days = forms.IntegerField(
        label=_("Silent after days without records"),
        min_value=1,
        max_value=60,
        help_text=_("A connected institution with no records on this many days raises an alert."),
    )
