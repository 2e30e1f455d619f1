"""Alert rules and robot channels are set in the admin; a city officer with staff
access sees and sets the channels of their own region only. Watches, flips,
notifications and deliveries are read-only records."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.accounts.scoping import regions_for

from .models import AlertRule, Channel, Delivery, Flip, Notification, Watch


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ("platform", "silent_after_days")


class ChannelForm(forms.ModelForm):
    webhook_url = forms.URLField(label=_("webhook URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("DingTalk robots with signing enabled only. Leave blank to keep."),
    )

    class Meta:
        model = Channel
        fields = ["region", "kind", "name", "webhook_url", "secret", "enabled"]

    def clean_secret(self):
        # The secret is never shown back; a blank field keeps the one stored.
        return self.cleaned_data["secret"] or (self.instance.secret if self.instance.pk else "")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "region", "kind", "enabled")
    list_filter = ("kind", "enabled")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(region__in=regions_for(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            kwargs["queryset"] = regions_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Watch)
class WatchAdmin(ReadOnlyAdmin):
    list_display = ("institution", "platform", "status", "last_upload_date", "silent_days")
    list_filter = ("platform", "status")


@admin.register(Flip)
class FlipAdmin(ReadOnlyAdmin):
    list_display = ("institution", "platform", "old_status", "new_status", "day", "processed_at")
    list_filter = ("platform", "new_status")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "flip", "created_at", "read_at")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("kind", "target", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("kind", "state")
    exclude = ("body",)
