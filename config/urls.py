from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

admin.site.site_header = _("Health information platform interconnection supervision portal")
admin.site.site_title = _("Administration")
admin.site.index_title = _("Registry and settings")

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
    path("bulletins/", include("apps.bulletins.urls")),
    path("sync/", include("apps.ingestion.urls")),
    path("", include("apps.reports.urls")),
    path("rectification/", include("apps.rectification.urls")),
    path("onboarding/", include("apps.onboarding.urls")),
    path("alerts/", include("apps.alerts.urls")),
    path("audit/", include("apps.audit.urls")),
    path("imports/", include("apps.imports.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("indicators/", include("apps.indicators.urls")),
    path("quality/", include("apps.quality.urls")),
    path("maturity/", include("apps.maturity.urls")),
    path("campaigns/", include("apps.campaigns.urls")),
    path("", include("apps.web.urls")),
]

handler400 = "apps.web.errors.bad_request"
handler403 = "apps.web.errors.permission_denied"
handler404 = "apps.web.errors.page_not_found"
handler500 = "apps.web.errors.server_error"
