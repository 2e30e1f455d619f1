from django.urls import path

from . import views

urlpatterns = [
    path("assessment/", views.assessment, name="assessment"),
    path("assessment/xlsx/", views.assessment_xlsx, name="assessment-xlsx"),
    path("reports/", views.report, name="report"),
    path("reports/<str:page>/", views.operations, name="operations"),
]
