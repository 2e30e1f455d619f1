from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import CatalogueTable, Connection, ConnectionChange, Platform, TableEdition
from .services import connection_set_status


class PlatformForm(forms.ModelForm):
    """The token is write-only: the field is empty on every page, and left empty
    it keeps the stored token."""

    api_url = forms.URLField(
        label=_("statistics interface URL"), required=False, assume_scheme="https"
    )
    api_token = forms.CharField(
        label=_("statistics interface token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored token."),
    )

    class Meta:
        model = Platform
        fields = ["code", "name", "level", "api_url", "api_token"]

    def clean_api_token(self):
        return self.cleaned_data["api_token"] or (self.instance.api_token if self.instance else "")


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    form = PlatformForm
    list_display = ("code", "name", "level", "region", "api_url")


class CatalogueTableInline(admin.TabularInline):
    model = CatalogueTable
    extra = 0


@admin.register(TableEdition)
class TableEditionAdmin(admin.ModelAdmin):
    list_display = ("platform", "name", "valid_from", "categories")
    list_filter = ("platform",)
    inlines = [CatalogueTableInline]


class ConnectionChangeInline(admin.TabularInline):
    model = ConnectionChange
    extra = 0
    can_delete = False
    readonly_fields = (
        "effective_date",
        "from_status",
        "to_status",
        "entered_at",
        "entered_by",
        "source",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """Status changes made here go through the service, so the history records
    them with the admin user as author."""

    list_display = ("institution", "platform", "status", "front_server_last_seen")
    list_filter = ("platform", "status")
    search_fields = ("institution__name", "institution__org_code")
    autocomplete_fields = ("institution",)
    inlines = [ConnectionChangeInline]

    def save_model(self, request, obj, form, change):
        status = obj.status
        if change:
            obj.status = Connection.objects.get(pk=obj.pk).status
        super().save_model(request, obj, form, change)
        connection_set_status(
            institution=obj.institution,
            platform=obj.platform,
            status=status,
            entered_by=request.user,
            source="admin",
        )
