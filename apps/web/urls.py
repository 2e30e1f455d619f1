from django.contrib.auth import views as auth_views
from django.urls import path

from . import assessment, bulletin_views, sync_views, views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/<str:org_code>/", views.institution_detail, name="institution-detail"),
    path("assessment/", assessment.assessment, name="assessment"),
    path("assessment/xlsx/", assessment.assessment_xlsx, name="assessment-xlsx"),
    path("bulletins/", bulletin_views.bulletin_list, name="bulletin-list"),
    path("bulletins/new/", bulletin_views.bulletin_new, name="bulletin-new"),
    path("bulletins/<int:pk>/", bulletin_views.bulletin_detail, name="bulletin-detail"),
    path("bulletins/<int:pk>/edit/", bulletin_views.bulletin_edit, name="bulletin-edit"),
    path(
        "bulletins/<int:pk>/publish/",
        bulletin_views.bulletin_publish_view,
        name="bulletin-publish",
    ),
    path("bulletins/<int:pk>/delete/", bulletin_views.bulletin_delete_view, name="bulletin-delete"),
    path("bulletins/<int:pk>/pdf/", bulletin_views.bulletin_pdf_view, name="bulletin-pdf"),
    path("bulletins/<int:pk>/xlsx/", bulletin_views.bulletin_xlsx_view, name="bulletin-xlsx"),
    path("bulletins/<int:pk>/json/", bulletin_views.bulletin_json_view, name="bulletin-json"),
    path("sync/", sync_views.sync_log, name="sync-log"),
    path("sync/runs/<int:pk>/", sync_views.sync_run_detail, name="sync-run"),
    path("sync/unknown/", sync_views.review_queue, name="review-queue"),
    path(
        "sync/unknown/<str:platform_code>/<str:org_code>/",
        sync_views.review_code,
        name="review-code",
    ),
    path("sync/platforms/<str:code>/", sync_views.platform_sync, name="platform-sync"),
]
