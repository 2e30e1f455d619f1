from django.contrib import admin

from .models import RectificationTask, TaskAttachment, TaskEvent


class TaskEventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    readonly_fields = ("author", "kind", "text", "created")
    can_delete = False


@admin.register(RectificationTask)
class RectificationTaskAdmin(admin.ModelAdmin):
    list_display = ("institution", "problem", "due_date", "state", "opened_by", "opened_at")
    list_filter = ("state", "platform")
    search_fields = ("institution__name", "institution__org_code", "problem")
    raw_id_fields = ("institution", "bulletin")
    # The workflow's record (who opened it, when, when accepted) is read-only: a
    # time shown to the second would lose its microseconds on every save.
    readonly_fields = ("opened_by", "opened_at", "closed_at")
    inlines = [TaskEventInline]


@admin.register(TaskAttachment)
class TaskAttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "size", "event")
    raw_id_fields = ("event",)
