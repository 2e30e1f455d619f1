from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One security-relevant thing that happened: who (the user and their name at the
    time), when, from where, what (action, object, old → new in `details`), and the
    region it concerns, by which city officers see it. Rows are only ever added."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOCKED_OUT = "locked_out", _("Locked out after failed sign-ins")
        LOGOUT = "logout", _("Signed out")
        USER_CREATED = "user_created", _("User created")
        USER_CHANGED = "user_changed", _("User changed")
        SCOPE_CHANGED = "scope_changed", _("User scope changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        CONNECTION_STATUS_CHANGED = "connection_status_changed", _("Connection status changed")
        CATALOGUE_CHANGED = "catalogue_changed", _("Catalogue changed")
        REGISTRY_CHANGED = "registry_changed", _("Registry changed")
        IMPORT = "import", _("File imported")
        REFERENCE_REPLACED = "reference_replaced", _("Reference replaced")
        BULLETIN_PUBLISHED = "bulletin_published", _("Bulletin published")
        BULLETIN_CORRECTED = "bulletin_corrected", _("Bulletin correction created")
        BULLETIN_SAVED = "bulletin_saved", _("Bulletin draft saved")
        BULLETIN_DELETED = "bulletin_deleted", _("Bulletin draft deleted")
        PLATFORM_TESTED = "platform_tested", _("Platform connection tested")
        SECRETS_ROTATED = "secrets_rotated", _("Stored secrets re-encrypted")
        PHASE_CREATED = "phase_created", _("Build-out phase created")
        PHASE_DELETED = "phase_deleted", _("Build-out phase deleted")
        ONBOARDING_CHANGED = "onboarding_changed", _("Onboarding step date changed")
        PULL_REQUESTED = "pull_requested", _("Pull or backfill requested")
        REVIEW_DECIDED = "review_decided", _("Waiting rows resolved")
        CAMPAIGN_SAVED = "campaign_saved", _("Campaign saved")
        LAYOUT_SAVED = "layout_saved", _("Report layout saved")
        LAYOUT_DELETED = "layout_deleted", _("Report layout deleted")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The username at the time (or the name tried, for a failed sign-in); kept when
    # the user is renamed or deleted.
    actor_label = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=255, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.get_action_display()}"
