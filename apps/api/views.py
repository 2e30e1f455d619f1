"""API views: parse the request, call one selector, render the result."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.scoping import institutions_for, platforms_for, regions_for
from apps.institutions.models import Institution
from apps.metrics.figures import data_day, period_figures
from apps.metrics.indicators import indicator_values
from apps.metrics.quality import quality_values
from apps.platforms.models import Connection

from .serializers import (
    InstitutionFiguresSerializer,
    InstitutionSerializer,
    MetricsQuerySerializer,
)

REGION_PARAMETER = OpenApiParameter(
    "region",
    OpenApiTypes.STR,
    description=gettext_lazy(
        "Region code: list only the institutions of this region and the regions below it; 404 outside the user's scope"
    ),
)
BAD_REQUEST = OpenApiResponse(
    description=gettext_lazy("Bad parameters: {field: [explanation]} or {detail: explanation}")
)
NOT_FOUND = OpenApiResponse(description=gettext_lazy("Outside the user's scope or does not exist"))


def institutions_in_scope(request: Request, region_code: str | None) -> QuerySet[Institution]:
    """The user's institutions, narrowed to a region of their scope when one is given
    (a region outside the scope answers 404)."""
    institutions = institutions_for(request.user)
    if region_code:
        region = get_object_or_404(regions_for(request.user), code=region_code)
        institutions = institutions.filter(region__path__startswith=region.path)
    return institutions


def _summary(summary) -> dict:
    """The scope's counts, each breakdown adding up to its whole (metrics.md): the
    institutions = every connection status + not yet due; connected = good +
    interrupted + no data uploaded."""
    return {
        "institutions": summary.institutions,
        "connected": summary.connected,
        "upstream": summary.upstream,
        "integrating": summary.integrating,
        "not_connected": summary.not_connected,
        "not_yet_due": summary.not_yet_due,
        "connection_rate": summary.connection_rate,
        "continuity": {
            "good": summary.continuity_good,
            "interrupted": summary.continuity_interrupted,
            "no_data": summary.continuity_none,
        },
        "tiers": {str(tier): count for tier, count in summary.tiers.items()},
        "severely_missing": summary.severely_missing,
    }


@extend_schema(tags=["institutions"])
class InstitutionViewSet(viewsets.ReadOnlyModelViewSet):
    """Institutions in the user's scope with their connection status on each platform."""

    serializer_class = InstitutionSerializer
    lookup_field = "org_code"

    def get_queryset(self) -> QuerySet[Institution]:
        region = self.request.query_params.get("region") if self.action == "list" else None
        return (
            institutions_in_scope(self.request, region)
            .select_related("region")
            .prefetch_related(
                Prefetch(
                    "connections",
                    queryset=Connection.objects.filter(
                        platform__in=platforms_for(self.request.user)
                    )
                    .select_related("platform")
                    .order_by("platform__code"),
                )
            )
            .order_by("region__sort_key", "org_code")
        )

    @extend_schema(
        summary=gettext_lazy("Healthcare institutions in the user's scope"),
        parameters=[REGION_PARAMETER],
        responses={200: InstitutionSerializer(many=True), 400: BAD_REQUEST, 404: NOT_FOUND},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary=gettext_lazy("One healthcare institution"),
        parameters=[OpenApiParameter("org_code", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: InstitutionSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


@extend_schema(tags=["metrics"])
class MetricsView(generics.GenericAPIView):
    """The figures of metrics.md for every active institution in scope, one page of
    rows per request; the figures are computed once for the whole scope."""

    serializer_class = InstitutionFiguresSerializer

    @extend_schema(
        summary=gettext_lazy("Each institution's figures for a period"),
        parameters=[MetricsQuerySerializer],
        responses={
            200: InstitutionFiguresSerializer(many=True),
            400: BAD_REQUEST,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        institutions = institutions_in_scope(request, params.get("region"))
        figures = period_figures(
            institutions=institutions,
            platform=params["platform"],
            start=params["start"],
            end=params["end"],
        )
        latest = data_day(params["platform"])
        # A period that starts after the platform's data day has no figures (metrics.md).
        has_data = latest is not None and params["start"] <= latest
        page = self.paginate_queryset(figures.rows if has_data else [])
        context = self.get_serializer_context()
        if params.get("indicators") and page:
            context["indicator_values"] = indicator_values(
                institutions=institutions.filter(pk__in=[row.institution.pk for row in page]),
                platform=params["platform"],
                start=params["start"],
                end=params["end"],
                indicators=params["indicators"],
            )
        if params.get("quality") and page:
            context["quality_values"] = quality_values(
                institutions=institutions.filter(pk__in=[row.institution.pk for row in page]),
                platform=params["platform"],
                start=params["start"],
                end=params["end"],
            )
        data = InstitutionFiguresSerializer(page, many=True, context=context).data
        response = self.get_paginated_response(data)
        # Which platform's figures these are (the default is the user's own level's),
        # and the last day they count: the period's end, or the platform's data day.
        response.data["platform"] = {
            "code": params["platform"].code,
            "name": params["platform"].name,
        }
        response.data["data_day"] = latest
        response.data["through"] = figures.through if has_data else None
        response.data["summary"] = _summary(figures.summary) if has_data else None
        return response
