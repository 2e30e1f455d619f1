"""Serializers of the API: they read model rows and the result objects of
`apps.metrics.figures`, and compute nothing themselves."""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.scoping import ordered_platforms, platforms_for
from apps.indicators.models import Indicator
from apps.institutions.models import Institution
from apps.metrics.figures import Continuity
from apps.metrics.periods import PeriodInvalid, check_day
from apps.metrics.quality import DIMENSIONS
from apps.platforms.models import Connection, ConnectionStatus


class ConnectionSerializer(serializers.ModelSerializer):
    platform = serializers.CharField(
        source="platform.code", help_text=gettext_lazy("Platform code")
    )

    class Meta:
        model = Connection
        fields = ["platform", "status", "front_server_last_seen"]


class InstitutionSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region_id")
    region_name = serializers.CharField(source="region.name")
    connections = ConnectionSerializer(
        many=True,
        read_only=True,
        help_text=gettext_lazy("Current connection status on each platform"),
    )

    class Meta:
        model = Institution
        fields = [
            "org_code",
            "name",
            "region_code",
            "region_name",
            "category",
            "grade",
            "active",
            "connections",
        ]


class MetricsQuerySerializer(serializers.Serializer):
    """The query parameters of /api/v1/metrics/. `platform` becomes a Platform."""

    start = serializers.DateField(
        help_text=gettext_lazy("First day of the period (included), YYYY-MM-DD")
    )
    end = serializers.DateField(
        help_text=gettext_lazy("Last day of the period (included), YYYY-MM-DD")
    )
    platform = serializers.SlugField(
        required=False,
        help_text=gettext_lazy(
            "Platform code; omitted: the platform of the user's own level (a province officer's province platform, otherwise the city's)"
        ),
    )
    region = serializers.CharField(
        required=False,
        help_text=gettext_lazy(
            "Region code: list only the institutions of this region and the regions below it; 404 outside the user's scope"
        ),
    )

    def _in_years(self, value):
        try:
            return check_day(value)
        except PeriodInvalid as exc:
            raise serializers.ValidationError(str(exc)) from None

    validate_start = _in_years
    validate_end = _in_years

    indicators = serializers.CharField(
        required=False,
        help_text=gettext_lazy(
            "Business indicators to add to each row: codes separated by commas, or all"
        ),
    )

    quality = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy(
            "1: add each row's data quality (dimension rates and quality score)"
        ),
    )

    def validate_indicators(self, value: str) -> list[Indicator]:
        catalogue = list(Indicator.objects.all())
        if value.strip() == "all":
            return catalogue
        by_code = {i.code: i for i in catalogue}
        codes = [c.strip() for c in value.split(",") if c.strip()]
        unknown = [c for c in codes if c not in by_code]
        if unknown or not codes:
            raise serializers.ValidationError(
                _("Unknown indicators: %(codes)s.") % {"codes": ", ".join(unknown) or value}
            )
        return [by_code[c] for c in dict.fromkeys(codes)]

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError(
                {"end": [_("The end date cannot be before the start date.")]}
            )
        user = self.context["request"].user
        code = attrs.get("platform")
        if code:
            platform = platforms_for(user).filter(code=code).first()
            if platform is None:
                raise serializers.ValidationError(
                    {"platform": [_("Unknown platform “%(code)s”.") % {"code": code}]}
                )
        else:
            # The platform of the user's own level, as the pages open on.
            platforms = ordered_platforms(user)
            if not platforms:
                raise serializers.ValidationError(
                    {"platform": [_("No platform has been registered yet.")]}
                )
            platform = platforms[0]
        attrs["platform"] = platform
        return attrs


class IndicatorValueSerializer(serializers.Serializer):
    value = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy(
            "The period's value: a flow's sum of its days, a stock's latest value on or before the end"
        ),
    )
    reference = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("The reference of the period; null when none")
    )
    rate = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text=gettext_lazy(
            "Upload rate (%): value ÷ reference × 100, two decimals, rounded half up; null without a reference"
        ),
    )
    over_reference = serializers.BooleanField(
        help_text=gettext_lazy("The rate is above 100: the reference or the data is wrong")
    )


def _quality_rate(help_text):
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text=help_text,
    )


class QualitySerializer(serializers.Serializer):
    """metrics.md, 数据质量: each dimension's pass rate over the sums of its rules,
    and the weighted score; null where nothing was checked."""

    completeness = _quality_rate(gettext_lazy("Completeness pass rate (%)"))
    conformance = _quality_rate(gettext_lazy("Conformance pass rate (%)"))
    consistency = _quality_rate(gettext_lazy("Consistency pass rate (%)"))
    linkage = _quality_rate(gettext_lazy("Linkage pass rate (%)"))
    timeliness = _quality_rate(gettext_lazy("Timeliness pass rate (%)"))
    score = _quality_rate(
        gettext_lazy(
            "Quality score: the weighted mean of the dimension rates that are not null, two decimals, half up"
        )
    )

    def to_representation(self, instance):
        values = {d: instance.rate(d) for d in DIMENSIONS}
        values["score"] = instance.score
        return super().to_representation(values)


class InstitutionFiguresSerializer(serializers.Serializer):
    """One `InstitutionFigures` row; every field is named as in metrics.md. With
    `indicators` in the query, each row also has its indicators' values and rates
    (the context's `indicator_values`: institution id → code → value)."""

    org_code = serializers.CharField()
    name = serializers.CharField()
    region_code = serializers.CharField(source="institution.region_id")
    category = serializers.ChoiceField(
        source="institution.category", choices=Institution.Category.choices
    )
    connection_status = serializers.ChoiceField(
        choices=ConnectionStatus.choices,
        help_text=gettext_lazy("Connection status on the last day of the period"),
    )
    connected_since = serializers.DateField(
        allow_null=True,
        help_text=gettext_lazy(
            "First day of the connection status in force on the last day of the period; null when not connected"
        ),
    )
    required_tables = serializers.IntegerField(help_text=gettext_lazy("Number of required tables"))
    tables_uploaded = serializers.IntegerField(
        help_text=gettext_lazy("Number of required tables uploaded")
    )
    completeness = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        coerce_to_string=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        allow_null=True,
        help_text=gettext_lazy(
            "Completeness (%) as a JSON number with one decimal, rounded half up (e.g. 58.8); null when no table is required"
        ),
    )
    missing_tables = serializers.IntegerField(
        help_text=gettext_lazy("Number of required tables missing")
    )
    records = serializers.IntegerField(
        help_text=gettext_lazy("Records uploaded (tables outside the catalogue included)")
    )
    rejected = serializers.IntegerField(help_text=gettext_lazy("Records rejected by validation"))
    upload_days = serializers.IntegerField(help_text=gettext_lazy("Days with uploads"))
    interruption_days = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy("Days of interrupted uploads; null when not connected"),
    )
    longest_gap = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("Longest run of interrupted days")
    )
    last_upload_date = serializers.DateField(
        allow_null=True, help_text=gettext_lazy("Last upload date")
    )
    tier = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=4,
        help_text=gettext_lazy("Tier 1 to 4; null when not connected"),
    )
    severely_missing = serializers.BooleanField(help_text=gettext_lazy("Severely missing"))
    continuity = serializers.ChoiceField(
        choices=[Continuity.GOOD, Continuity.INTERRUPTED],
        allow_null=True,
        help_text=gettext_lazy(
            "Continuity: good or interrupted; null when not connected or nothing was uploaded"
        ),
    )
    score = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text=gettext_lazy(
            "Assessment score, two decimals, compared with the institutions of the same category under the same city; null for upstream institutions"
        ),
    )
    declared_tables = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy(
            "Tables of the edition in force the institution declared it uploads; null when it declared none"
        ),
    )
    go_live = serializers.DateField(
        allow_null=True,
        help_text=gettext_lazy(
            "Go-live date of the build-out phase the institution is a target of; null when it is in none"
        ),
    )
    not_yet_due = serializers.BooleanField(
        help_text=gettext_lazy(
            "Not yet due: the go-live date is after the period, so no tier, no score and out of the connection rate"
        )
    )
    indicators = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "With indicators in the query: each indicator's value, reference and rate"
        )
    )

    quality = serializers.SerializerMethodField(
        help_text=gettext_lazy("With quality=1 in the query: the data quality of the period")
    )

    @extend_schema_field(QualitySerializer())
    def get_quality(self, row) -> dict | None:
        values = self.context.get("quality_values")
        if values is None:
            return None
        return QualitySerializer(values[row.institution.pk]).data

    @extend_schema_field(serializers.DictField(child=IndicatorValueSerializer()))
    def get_indicators(self, row) -> dict | None:
        values = self.context.get("indicator_values")
        if values is None:
            return None
        return {
            code: IndicatorValueSerializer(value).data
            for code, value in values.get(row.institution.pk, {}).items()
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("indicator_values") is None:
            data.pop("indicators")
        if self.context.get("quality_values") is None:
            data.pop("quality")
        return data
