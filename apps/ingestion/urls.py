from django.urls import path

from . import views

urlpatterns = [
    path("", views.sync_log, name="sync-log"),
    path("runs/<int:pk>/", views.sync_run_detail, name="sync-run"),
    path("unknown/", views.review_queue, name="review-queue"),
    path("unknown-indicators/<str:code>/", views.review_indicator, name="review-indicator"),
    path("unknown/<str:platform_code>/<str:org_code>/", views.review_code, name="review-code"),
    path("platforms/<str:code>/", views.platform_sync, name="platform-sync"),
    path("platforms/<str:code>/source/", views.platform_source, name="platform-source"),
]
