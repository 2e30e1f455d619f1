"""The sync log and the review queue in the admin: read-only records of what the
pulls did; the portal's sync pages are where officers act."""

from django.contrib import admin

from .models import Backfill, OrgCodeAlias, SyncRun, UnknownUpload


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "platform",
        "kind",
        "day",
        "trigger",
        "outcome",
        "pages",
        "rows_stored",
        "rows_rejected",
        "unknown_codes",
        "started_at",
        "finished_at",
    )
    list_filter = ("platform", "kind", "outcome", "trigger")
    date_hierarchy = "started_at"


@admin.register(UnknownUpload)
class UnknownUploadAdmin(ReadOnlyAdmin):
    list_display = ("platform", "org_code", "day", "table_code", "records", "rejected")
    list_filter = ("platform",)
    search_fields = ("org_code",)


@admin.register(Backfill)
class BackfillAdmin(ReadOnlyAdmin):
    list_display = ("platform", "first_day", "last_day", "state", "days_done", "days_total")
    list_filter = ("platform", "state")


@admin.register(OrgCodeAlias)
class OrgCodeAliasAdmin(ReadOnlyAdmin):
    """Aliases are made in the portal's review queue, which stores the waiting
    rows at the same time; deleting one makes the code unknown to later pulls."""

    list_display = ("platform", "org_code", "institution", "created_by", "created_at")
    list_filter = ("platform",)
    search_fields = ("org_code", "institution__name")
