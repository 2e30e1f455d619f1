from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/<str:org_code>/", views.institution_detail, name="institution-detail"),
    path("help/", views.help_page, name="help"),
    path("search/", views.institution_search, name="institution-search"),
]
