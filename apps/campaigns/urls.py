from django.urls import path

from . import views

urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("new/", views.campaign_new, name="campaign-new"),
    path("<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="campaign-edit"),
    path("<int:pk>/tasks/new/", views.task_new, name="campaign-task-new"),
    path("<int:pk>/inspections/new/", views.inspection_new, name="campaign-inspection-new"),
    path(
        "<int:pk>/inspections/<int:inspection_pk>/",
        views.inspection_edit,
        name="campaign-inspection-edit",
    ),
]
