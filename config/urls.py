from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
    path("rectification/", include("apps.rectification.urls")),
    path("onboarding/", include("apps.onboarding.urls")),
    path("alerts/", include("apps.alerts.urls")),
    path("audit/", include("apps.audit.urls")),
    path("", include("apps.web.urls")),
]
