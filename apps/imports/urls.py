from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_index, name="import-index"),
    path("<str:kind>/new/", views.import_new, name="import-new"),
    path("<str:kind>/template.xlsx", views.import_template, name="import-template"),
    path("<int:pk>/", views.import_detail, name="import-detail"),
    path("<int:pk>/confirm/", views.import_confirm, name="import-confirm"),
    path("<int:pk>/cancel/", views.import_cancel, name="import-cancel"),
]
