from django.urls import path

from . import views

urlpatterns = [
    path("", views.assessment, name="assessment"),
    path("xlsx/", views.assessment_xlsx, name="assessment-xlsx"),
]
