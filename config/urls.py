from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
    path("bulletins/", include("apps.bulletins.urls")),
    path("sync/", include("apps.ingestion.urls")),
    path("assessment/", include("apps.reports.urls")),
    path("rectification/", include("apps.rectification.urls")),
    path("onboarding/", include("apps.onboarding.urls")),
    path("alerts/", include("apps.alerts.urls")),
    path("audit/", include("apps.audit.urls")),
    path("", include("apps.web.urls")),
]
