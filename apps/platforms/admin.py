from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    TOKEN_FOR_THE_ADDRESS,
    CatalogueTable,
    Connection,
    ConnectionChange,
    Platform,
    TableEdition,
)
from .services import connection_set_status


class PlatformForm(forms.ModelForm):
    """The token is write-only: the field is empty on every page, and left empty
    it keeps the stored token."""

    api_url = forms.URLField(
        label=_("statistics interface URL"), required=False, assume_scheme="https"
    )
    api_token = forms.CharField(
        label=_("statistics interface token"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored token."),
    )

    class Meta:
        model = Platform
        fields = ["code", "name", "level", "api_url", "api_token"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not even the form's initial data holds the stored token; left empty, the
        # field is then unchanged (the admin's history says so).
        self.initial["api_token"] = ""

    def clean(self):
        data = super().clean()
        stored = self.instance.api_token if self.instance.pk else ""
        if stored and not data.get("api_token"):
            if "api_url" in data and not self.instance.sends_token_to(data["api_url"]):
                self.add_error("api_token", TOKEN_FOR_THE_ADDRESS)
            else:
                data["api_token"] = stored
        return data


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
