from django.urls import path

from . import views

urlpatterns = [
    path("", views.onboarding, name="onboarding"),
    path("<str:platform_code>/plan/", views.plan_new, name="onboarding-plan-new"),
    path("phases/<int:pk>/delete/", views.plan_remove, name="onboarding-plan-delete"),
    path("phases/<int:pk>/<str:org_code>/", views.institution_edit, name="onboarding-edit"),
]
