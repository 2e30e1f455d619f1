from django.urls import path

from . import views

urlpatterns = [
    path("", views.bulletin_list, name="bulletin-list"),
    path("new/", views.bulletin_new, name="bulletin-new"),
    path("<int:pk>/", views.bulletin_detail, name="bulletin-detail"),
    path("<int:pk>/edit/", views.bulletin_edit, name="bulletin-edit"),
    path("<int:pk>/publish/", views.bulletin_publish_view, name="bulletin-publish"),
    path("<int:pk>/delete/", views.bulletin_delete_view, name="bulletin-delete"),
    path("<int:pk>/pdf/", views.bulletin_pdf_view, name="bulletin-pdf"),
    path("<int:pk>/xlsx/", views.bulletin_xlsx_view, name="bulletin-xlsx"),
]
