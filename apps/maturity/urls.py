from django.urls import path

from . import views

urlpatterns = [
    path("", views.maturity, name="maturity"),
    path("new/", views.maturity_new, name="maturity-new"),
    path("<int:pk>/edit/", views.maturity_edit, name="maturity-edit"),
]
