from django.urls import path

from . import views

urlpatterns = [
    path("password/", views.password_change, name="password-change"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_new, name="user-new"),
    path("users/<int:pk>/", views.user_edit, name="user-edit"),
    path("users/<int:pk>/password/", views.user_password_reset, name="user-password-reset"),
]
