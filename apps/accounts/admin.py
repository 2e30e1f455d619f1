from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "role", "region", "institution", "is_staff", "is_active")
    list_filter = ("role", "is_staff", "is_superuser", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Scope"), {"fields": ("role", "region", "institution")}),
    )
    autocomplete_fields = ("region", "institution")
    # Records, not settings: shown to the minute, they would lose their seconds
    # on every save.
    readonly_fields = ("last_login", "date_joined")
