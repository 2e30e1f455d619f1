from django.contrib import admin

from .models import DailyUpload


@admin.register(DailyUpload)
class DailyUploadAdmin(admin.ModelAdmin):
    """Read-only: statistics come from imports and pulls, which keep the roll-up."""

    list_display = ("day", "institution", "platform", "table_code", "records", "rejected")
    list_filter = ("platform", "day")
    search_fields = ("institution__name", "institution__org_code", "table_code")
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
