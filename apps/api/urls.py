from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from . import bulletins, docs, views

router = SimpleRouter()
router.register("institutions", views.InstitutionViewSet, basename="institution")
router.register("bulletins", bulletins.BulletinViewSet, basename="api-bulletin")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.ApiDocs.as_view(), name="api-docs"),
    path("redoc/", docs.ApiRedoc.as_view(), name="api-redoc"),
    path("v1/", docs.ApiIndex.as_view(), name="api-index"),
    path("v1/", include(router.urls)),
    path("v1/metrics/", views.MetricsView.as_view(), name="metrics"),
]
