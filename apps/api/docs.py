"""The API's front door: an index of its endpoints at /api/v1/, and its documentation
as Swagger UI and Redoc, served from our own static files (drf-spectacular-sidecar:
no CDN), for signed-in users like the rest of the API."""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


class ApiIndex(APIView):
    """The endpoints of the API, each with what it answers."""

    @extend_schema(exclude=True)
    def get(self, request):
        def link(name: str, description: str) -> dict:
            return {"url": reverse(name, request=request), "description": description}

        def listed(path: str, description: str) -> dict:
            # The router's names ("institution-list") are the pages' too: by path.
            base = reverse("api-index", request=request)
            return {"url": f"{base}{path}/", "description": description}

        return Response(
            {
                "institutions": listed(
                    "institutions",
                    _("Healthcare institutions in your scope, with their connection statuses"),
                ),
                "bulletins": listed("bulletins", _("Bulletins you may see")),
                "metrics": link(
                    "metrics",
                    _(
                        "The figures of the institutions in your scope for a period "
                        "(start, end; platform, region, indicators, quality)"
                    ),
                ),
                "schema": link("schema", _("The OpenAPI description of this API")),
                "docs": link("api-docs", _("The API's documentation (Swagger UI)")),
                "redoc": link("api-redoc", _("The API's documentation (Redoc)")),
            }
        )


class _Documentation:
    """The documentation pages draw their layout with inline styles (React and
    styled-components): allowed on these pages alone; their scripts are our static
    files and stay under the policy."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # What django-csp's @csp_update({...}) sets on a view's response.
        response._csp_update = {"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]}
        return response


class ApiDocs(_Documentation, SpectacularSwaggerSplitView):
    url_name = "schema"
    title = "hipwatch API · Swagger UI"


class ApiRedoc(_Documentation, SpectacularRedocView):
    url_name = "schema"
    title = "hipwatch API · Redoc"


# The browsable API's titles and breadcrumbs: each view by the portal's name for it.
VIEW_NAMES = {
    ("ApiIndex", None): pgettext_lazy("api", "API index"),
    ("InstitutionViewSet", "List"): pgettext_lazy("api", "Institutions"),
    ("InstitutionViewSet", "Instance"): pgettext_lazy("api", "Institution"),
    ("BulletinViewSet", "List"): pgettext_lazy("api", "Bulletins"),
    ("BulletinViewSet", "Instance"): pgettext_lazy("api", "Bulletin"),
    ("MetricsView", None): pgettext_lazy("api", "Figures"),
}


def view_name(view) -> str:
    """DRF's VIEW_NAME_FUNCTION: the portal's name of a view, else DRF's own."""
    from rest_framework.views import get_view_name

    name = VIEW_NAMES.get((type(view).__name__, getattr(view, "suffix", None)))
    return str(name) if name is not None else get_view_name(view)
