"""The institution list's filters. Registry filters (region, category, name) narrow
the institutions before figures are computed; figure filters (status, tier) pick
rows of the result by the fields `period_figures` set."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from apps.core.forms import ListedModelChoiceField, PortalForm, Select
from apps.institutions.models import Institution
from apps.metrics.figures import InstitutionFigures, Tier
from apps.platforms.models import ConnectionStatus
from apps.regions.models import Region

TIER_UNCONNECTED = "unconnected"
TIER_UPSTREAM = "upstream"


class InstitutionFilterForm(PortalForm):
    region = ListedModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("All regions"),
        widget=Select,
    )
    status = forms.ChoiceField(
        label=_("Connection status"),
        choices=[("", _("All statuses")), *ConnectionStatus.choices],
        widget=Select,
        required=False,
    )
    category = forms.ChoiceField(
        label=_("Institution category"),
        choices=[("", _("All categories")), *Institution.Category.choices],
        widget=Select,
        required=False,
    )
    tier = forms.ChoiceField(
        label=_("Tier"),
        choices=[
            ("", _("All tiers")),
            *((str(t), label) for t, label in Tier.LABELS.items()),
            (TIER_UNCONNECTED, _("Not connected")),
            (TIER_UPSTREAM, _("Connected to the provincial platform")),
        ],
        required=False,
        widget=Select,
    )
    q = forms.CharField(
        label=_("Institution name"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or code")}),
    )

    def __init__(self, *args, regions: QuerySet[Region], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def filter_institutions(self, institutions: QuerySet[Institution]) -> QuerySet[Institution]:
        data = self.cleaned_data
        if data.get("region"):
            institutions = institutions.filter(region__path__startswith=data["region"].path)
        if data.get("category"):
            institutions = institutions.filter(category=data["category"])
        if data.get("q"):
            q = data["q"].strip()
            institutions = institutions.filter(Q(name__icontains=q) | Q(org_code__icontains=q))
        return institutions

    def filter_rows(self, rows: list[InstitutionFigures]) -> list[InstitutionFigures]:
        data = self.cleaned_data
        if data.get("status"):
            rows = [r for r in rows if r.connection_status == data["status"]]
        tier = data.get("tier")
        if tier == TIER_UNCONNECTED:
            rows = [
                r
                for r in rows
                if r.connection_status
                in (ConnectionStatus.NOT_CONNECTED, ConnectionStatus.INTEGRATING)
            ]
        elif tier == TIER_UPSTREAM:
            rows = [r for r in rows if r.connection_status == ConnectionStatus.UPSTREAM]
        elif tier:
            rows = [r for r in rows if r.tier == int(tier)]
        return rows
