"""Serializers of the API: they read model rows and the result objects of
`apps.metrics.figures`, and compute nothing themselves."""

from decimal import Decimal

from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.accounts.scoping import platforms_for
from apps.institutions.models import Institution
from apps.metrics.figures import Continuity
from apps.platforms.models import Connection, ConnectionStatus


class ConnectionSerializer(serializers.ModelSerializer):
    platform = serializers.CharField(source="platform.code", help_text="平台代码")

    class Meta:
        model = Connection
        fields = ["platform", "status", "front_server_last_seen"]


class InstitutionSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region_id")
    region_name = serializers.CharField(source="region.name")
    connections = ConnectionSerializer(many=True, read_only=True, help_text="各平台的当前联通状态")

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

    start = serializers.DateField(help_text="统计期开始日期（含），YYYY-MM-DD")
    end = serializers.DateField(help_text="统计期结束日期（含），YYYY-MM-DD")
    platform = serializers.SlugField(
        required=False, help_text="平台代码；仅有一个平台时可省略，有多个平台时必填"
    )
    region = serializers.CharField(
        required=False, help_text="区划代码：只列该区划及其下级的机构；不在权限范围内返回 404"
    )

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("结束日期不能早于开始日期。")]})
        platforms = platforms_for(self.context["request"].user)
        code = attrs.get("platform")
        if code:
            platform = platforms.filter(code=code).first()
            if platform is None:
                raise serializers.ValidationError(
                    {"platform": [_("未知的平台“%(code)s”。") % {"code": code}]}
                )
        else:
            candidates = list(platforms[:2])
            if len(candidates) != 1:
                raise serializers.ValidationError(
                    {"platform": [_("存在多个信息平台，请用 platform 参数指定平台代码。")]}
                    if candidates
                    else {"platform": [_("尚未登记任何信息平台。")]}
                )
            platform = candidates[0]
        attrs["platform"] = platform
        return attrs


class InstitutionFiguresSerializer(serializers.Serializer):
    """One `InstitutionFigures` row; every field is named as in metrics.md."""

    org_code = serializers.CharField()
    name = serializers.CharField()
    region_code = serializers.CharField(source="institution.region_id")
    category = serializers.ChoiceField(
        source="institution.category", choices=Institution.Category.choices
    )
    connection_status = serializers.ChoiceField(
        choices=ConnectionStatus.choices, help_text="统计期末日的联通状态"
    )
    connected_since = serializers.DateField(
        allow_null=True, help_text="统计期末日所处联通状态的起始日期；未联通为 null"
    )
    required_tables = serializers.IntegerField(help_text="必传数据表数")
    tables_uploaded = serializers.IntegerField(help_text="已上传的必传数据表数")
    completeness = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        coerce_to_string=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        allow_null=True,
        help_text="完整率（%），JSON 数字，一位小数，四舍五入（如 58.8）；无必传表时为 null",
    )
    missing_tables = serializers.IntegerField(help_text="缺失的必传数据表数")
    records = serializers.IntegerField(help_text="上传记录数（含目录外的表）")
    rejected = serializers.IntegerField(help_text="被拒记录数")
    upload_days = serializers.IntegerField(help_text="有上传的天数")
    interruption_days = serializers.IntegerField(
        allow_null=True, help_text="上传中断天数；未联通为 null"
    )
    longest_gap = serializers.IntegerField(allow_null=True, help_text="最长连续中断天数")
    last_upload_date = serializers.DateField(allow_null=True, help_text="最近上传日期")
    tier = serializers.IntegerField(
        allow_null=True, min_value=1, max_value=4, help_text="梯队 1 到 4；未联通为 null"
    )
    severely_missing = serializers.BooleanField(help_text="严重缺失")
    continuity = serializers.ChoiceField(
        choices=[Continuity.GOOD, Continuity.INTERRUPTED],
        allow_null=True,
        help_text="连续性：good 良好，interrupted 中断；未联通或未上传为 null",
    )
