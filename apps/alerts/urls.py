from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_list, name="alerts-notifications"),
    path("read/", views.notifications_read, name="alerts-read"),
    path("<int:pk>/", views.notification_open, name="alerts-open"),
    path("silent/", views.silent_list, name="alerts-silent"),
    path("silent/xlsx/", views.silent_xlsx, name="alerts-silent-xlsx"),
]
