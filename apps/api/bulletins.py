"""The bulletins API: read-only, every queryset through `bulletins_for`.

A bulletin's figures are whatever `bulletin_content` gives (the snapshot of a
published bulletin, the live content of a draft); the PDF and XLSX are rendered
from that same dict."""

from urllib.parse import quote

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer

from apps.bulletins.content import bulletin_content
from apps.bulletins.models import Bulletin
from apps.bulletins.pdf import bulletin_pdf_bytes
from apps.bulletins.selectors import bulletins_for
from apps.bulletins.xlsx import bulletin_xlsx

from .views import NOT_FOUND

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BulletinStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Bulletin.Status.choices, **kwargs)


class BulletinStatusFieldExtension(OpenApiSerializerFieldExtension):
    """The status as one named enum component: the list and the detail serializers
    share it, where spectacular would otherwise see a colliding `status` enum."""

    target_class = BulletinStatusField

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name="BulletinStatusEnum",
            type=ResolvedComponent.SCHEMA,
            object="BulletinStatusEnum",
            schema={
                "type": "string",
                "enum": list(Bulletin.Status.values),
                "description": "\n".join(
                    f"* `{value}` - {label}" for value, label in Bulletin.Status.choices
                ),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class BulletinLinksSerializer(serializers.Serializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api-bulletin-detail", help_text=gettext_lazy("This bulletin in the API")
    )
    pdf = serializers.HyperlinkedIdentityField(
        view_name="api-bulletin-pdf", help_text=gettext_lazy("The bulletin as a PDF")
    )
    xlsx = serializers.HyperlinkedIdentityField(
        view_name="api-bulletin-xlsx",
        help_text=gettext_lazy("The bulletin's attachment as an XLSX workbook"),
    )


class BulletinSerializer(serializers.ModelSerializer):
    platform = serializers.CharField(
        source="platform.code", help_text=gettext_lazy("Platform code")
    )
    region = serializers.CharField(source="region_id", help_text=gettext_lazy("Region code"))
    published_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Username of the publisher; null for a draft"),
    )
    status = BulletinStatusField(read_only=True)
    links = BulletinLinksSerializer(source="*", read_only=True)

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "number",
            "title",
            "issuing_body",
            "period_label",
            "period_start",
            "period_end",
            "platform",
            "region",
            "status",
            "corrects",
            "issue_date",
            "published_at",
            "published_by",
            "links",
        ]
        extra_kwargs = {
            "corrects": {"help_text": gettext_lazy("Id of the bulletin this one corrects")}
        }


class BulletinDetailSerializer(BulletinSerializer):
    content = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "Every figure of the bulletin: the snapshot stored on publication, or the live content of a draft"
        )
    )
    definitions = serializers.DictField(
        read_only=True, help_text=gettext_lazy("Definitions and thresholds")
    )

    class Meta(BulletinSerializer.Meta):
        fields = [*BulletinSerializer.Meta.fields, "content", "definitions"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_content(self, bulletin: Bulletin) -> dict:
        return bulletin_content(bulletin)


class IgnoreAcceptNegotiation(BaseContentNegotiation):
    """For the file downloads: whatever the client accepts, errors are JSON (the
    file itself is returned as an HttpResponse and is not rendered)."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _file_response(bulletin: Bulletin, data: bytes, content_type: str, suffix: str):
    draft = _("-draft") if bulletin.is_draft else ""
    response = HttpResponse(data, content_type=content_type)
    filename = quote(f"{bulletin.number}{draft}.{suffix}")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@extend_schema(tags=["bulletins"])
class BulletinViewSet(viewsets.ReadOnlyModelViewSet):
    """The bulletins the user may see, newest first: city officers see their
    region's drafts too, everyone else published bulletins only."""

    serializer_class = BulletinSerializer

    def get_queryset(self) -> QuerySet[Bulletin]:
        return (
            bulletins_for(self.request.user)
            .select_related("platform", "region", "published_by", "corrects")
            .order_by("-issue_date", "-id")
        )

    def get_serializer_class(self):
        if self.action == "retrieve":
            return BulletinDetailSerializer
        return BulletinSerializer

    @extend_schema(
        summary=gettext_lazy("Bulletins in the user's scope, newest first"),
        responses={200: BulletinSerializer(many=True)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary=gettext_lazy("One bulletin with its content"),
        responses={200: BulletinDetailSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary=gettext_lazy("The bulletin as a PDF"),
        responses={(200, PDF): OpenApiTypes.BINARY, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        url_path="pdf",
        renderer_classes=[JSONRenderer],
        content_negotiation_class=IgnoreAcceptNegotiation,
    )
    def pdf(self, request, *args, **kwargs):
        bulletin = self.get_object()
        return _file_response(bulletin, bulletin_pdf_bytes(bulletin), PDF, "pdf")

    @extend_schema(
        summary=gettext_lazy("The bulletin's attachment as an XLSX workbook"),
        responses={(200, XLSX): OpenApiTypes.BINARY, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        url_path="xlsx",
        renderer_classes=[JSONRenderer],
        content_negotiation_class=IgnoreAcceptNegotiation,
    )
    def xlsx(self, request, *args, **kwargs):
        bulletin = self.get_object()
        return _file_response(bulletin, bulletin_xlsx(bulletin_content(bulletin)), XLSX, "xlsx")
