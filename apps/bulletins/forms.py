from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.forms import DateInput, PortalForm, Select
from apps.metrics.definitions import DEFAULT, Definitions
from apps.metrics.periods import Period, PeriodGroup

from .models import Bulletin
from .services import EDITABLE, default_title

DEFINITION_FIELDS = {
    "tier1_min": (_("First tier: completeness at least (%)"), forms.DecimalField),
    "tier2_min": (_("Second tier: completeness at least (%)"), forms.DecimalField),
    "severe_below": (_("Severely missing: completeness below (%)"), forms.DecimalField),
    "good_continuity_max_days": (
        _("Good continuity: at most days without data"),
        forms.IntegerField,
    ),
    "score_points": (_("Assessment points"), forms.DecimalField),
    "weight_connection": (_("Weight of connection"), forms.DecimalField),
    "weight_completeness": (_("Weight of completeness"), forms.DecimalField),
    "weight_volume": (_("Weight of data volume"), forms.DecimalField),
    "quality_ranking": (_("Rank the units by data quality as well"), forms.BooleanField),
    "quality_good_min": (_("Good data quality: score at least"), forms.DecimalField),
    "quality_poor_below": (_("Poor data quality: score below"), forms.DecimalField),
    "quality_weight_completeness": (
        _("Weight of completeness in the quality score"),
        forms.DecimalField,
    ),
    "quality_weight_conformance": (
        _("Weight of conformance in the quality score"),
        forms.DecimalField,
    ),
    "quality_weight_consistency": (
        _("Weight of consistency in the quality score"),
        forms.DecimalField,
    ),
    "quality_weight_linkage": (_("Weight of linkage in the quality score"), forms.DecimalField),
    "quality_weight_timeliness": (
        _("Weight of timeliness in the quality score"),
        forms.DecimalField,
    ),
}
PERCENTAGES = (
    "tier1_min",
    "tier2_min",
    "severe_below",
    "quality_good_min",
    "quality_poor_below",
)
WEIGHTS = ("weight_connection", "weight_completeness", "weight_volume")


class PlatformPeriodSelect(Select):
    """The periods of every platform the user may choose, each option marked with
    its platform (`data-platform`): the page shows only the chosen platform's
    (static/js/hipwatch.js, `data-follows`), and the form refuses a period the
    chosen platform holds no statistics for."""

    def __init__(self, *args, group_platforms: list[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_platforms = group_platforms or []
        self.defaults: dict[int, str] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if index < len(self.group_platforms):
            platform = self.group_platforms[index]
            option["attrs"]["data-platform"] = str(platform)
            if self.defaults.get(platform) == value:
                option["attrs"]["data-default"] = "1"
        return option


class BulletinForm(PortalForm):
    """Create or edit a draft. Platform, region and period are chosen when a new
    bulletin is created (`creating`) only: a draft keeps them, a correction takes
    the original's. The thresholds default to the portal's definitions."""

    platform = forms.ModelChoiceField(queryset=None, label=_("Platform"))
    region = forms.ModelChoiceField(queryset=None, label=_("Region"))
    period = forms.ChoiceField(label=_("Period"), widget=PlatformPeriodSelect)
    number = forms.CharField(label=_("Document number"), max_length=64)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Left empty, a title is made from the period and platform."),
    )
    issuing_body = forms.CharField(label=_("Issuing body"), max_length=100)
    recipients = forms.CharField(label=_("Recipients"), widget=forms.Textarea(attrs={"rows": 2}))
    issue_date = forms.DateField(label=_("Date of issue"), widget=DateInput())
    opening = forms.CharField(
        label=_("Opening"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    requirements = forms.CharField(
        label=_("Work requirements"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    contacts = forms.CharField(
        label=_("Contacts"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    report_layout = forms.ModelChoiceField(
        queryset=None,
        label=_("Attached report"),
        required=False,
        empty_label=_("(none)"),
        help_text=_(
            "A report in a saved layout, printed as the second attachment for the "
            "bulletin's region and period."
        ),
    )

    def __init__(
        self,
        *args,
        platforms,
        regions,
        periods: dict[int, tuple[list[PeriodGroup], Period | None]],
        layouts,
        creating: bool,
        **kwargs,
    ):
        """`platforms` the user's, their default first; `periods` each platform's
        period menu and default period, by the platform's pk."""
        super().__init__(*args, **kwargs)
        self.fields["platform"].queryset = platforms
        self.fields["report_layout"].queryset = layouts
        self.fields["region"].queryset = regions
        several = len(periods) > 1
        names = {p.pk: p.name for p in platforms}
        choices, group_platforms = [], []
        for pk, (groups, _default) in periods.items():
            for group in groups:
                if group.periods:
                    label = f"{names[pk]} · {group.label}" if several else group.label
                    choices.append((label, [(p.key, p.label) for p in group.periods]))
                    group_platforms.append(pk)
        widget = self.fields["period"].widget
        widget.group_platforms = group_platforms
        widget.defaults = {pk: d.key for pk, (_g, d) in periods.items() if d is not None}
        widget.attrs["data-follows"] = "platform"
        self.fields["period"].choices = choices
        self.platform_periods = {
            pk: {p.key: p for group in groups for p in group.periods}
            for pk, (groups, _default) in periods.items()
        }
        if not creating:
            for name in ("platform", "region", "period"):
                del self.fields[name]
        for name, (label, field_class) in DEFINITION_FIELDS.items():
            if field_class is forms.BooleanField:
                self.fields[f"def_{name}"] = field_class(
                    label=label, initial=bool(getattr(DEFAULT, name)), required=False
                )
                continue
            self.fields[f"def_{name}"] = field_class(
                label=label,
                initial=getattr(DEFAULT, name),
                min_value=0,
                max_value=100 if name in PERCENTAGES else 1 if name in WEIGHTS else None,
            )

    def _clean_definitions(self, values: dict) -> None:
        """The rules of `Definitions.from_dict`, said in the user's language and
        next to the field at fault."""
        if values["tier2_min"] > values["tier1_min"]:
            self.add_error(
                "def_tier2_min", _("The second tier’s threshold may not be above the first tier’s.")
            )
        if values["severe_below"] > values["tier2_min"]:
            self.add_error(
                "def_severe_below",
                _("The threshold of severely missing may not be above the second tier’s."),
            )
        if sum(values[name] for name in WEIGHTS) != 1:
            self.add_error(None, _("The three weights must add up to 1."))
        if values["quality_poor_below"] > values["quality_good_min"]:
            self.add_error(
                "def_quality_poor_below",
                _("The poor quality threshold may not be above the good one."),
            )

    def clean(self):
        data = super().clean()
        values = {name: data.get(f"def_{name}") for name in DEFINITION_FIELDS}
        values["quality_ranking"] = int(bool(values["quality_ranking"]))
        if all(v is not None for v in values.values()):
            self._clean_definitions(values)
        if all(v is not None for v in values.values()) and not self.errors:
            try:
                data["definitions"] = Definitions.from_dict(values).as_dict()
            except ValueError as exc:
                raise forms.ValidationError(
                    _("Invalid definitions: %(error)s") % {"error": exc}
                ) from exc
        if "period" in data and "platform" in data:
            period = self.platform_periods.get(data["platform"].pk, {}).get(data["period"])
            if period is None:
                self.add_error(
                    "period",
                    _("%(platform)s holds no statistics for this period: choose one of its own.")
                    % {"platform": data["platform"].name},
                )
                del data["period"]
            else:
                data["period"] = period
        return data

    @classmethod
    def initial_for(cls, bulletin: Bulletin) -> dict:
        initial = {
            name: getattr(bulletin, name)
            for name in (
                "number",
                "title",
                "issuing_body",
                "recipients",
                "issue_date",
                "opening",
                "requirements",
                "contacts",
                "report_layout",
            )
        }
        definitions = Definitions.from_dict(bulletin.definitions)
        initial.update({f"def_{n}": getattr(definitions, n) for n in DEFINITION_FIELDS})
        # A checkbox is ticked by any value but False: 0 would tick it.
        initial["def_quality_ranking"] = bool(definitions.quality_ranking)
        return initial

    @staticmethod
    def initial_new(region, period: Period | None, platform) -> dict:
        return {
            "region": region,
            "period": period.key if period else None,
            "platform": platform,
            "issuing_body": _("%(region)s Health Commission") % {"region": region.name}
            if region
            else "",
            "recipients": _(
                "The health commissions of the cities, and the hospitals under the province"
            )
            if region and region.level == region.Level.PROVINCE
            else _(
                "The health commissions of the counties and districts, and the institutions under the city"
            ),
            "issue_date": timezone.localdate(),
        }

    def document_values(self, *, period_label: str, platform) -> dict:
        """The editable parts of the bulletin, as the services take them."""
        data = self.cleaned_data
        values = {name: data[name] for name in EDITABLE if name != "title"}
        values["title"] = data["title"] or default_title(period_label, platform)
        return values

    def definition_fields(self):
        return [self[f"def_{name}"] for name in DEFINITION_FIELDS]

    def document_fields(self):
        return [self[name] for name in self.fields if not name.startswith("def_")]
