"""Alerts on silent institutions, in the manner of uptime monitors (healthchecks):
a `Watch` holds each institution's current state on a platform, a `Flip` records
each change of it, and the sending works off the flips, so nothing is sent twice
and the history is free. Every send attempt is a `Delivery`."""

import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

DEFAULT_SILENT_AFTER_DAYS = 3


class AlertRule(models.Model):
    """How many days without records make an institution of a platform silent.
    A platform without a rule uses DEFAULT_SILENT_AFTER_DAYS."""

    platform = models.OneToOneField(
        "platforms.Platform",
        verbose_name=_("platform"),
        on_delete=models.CASCADE,
        related_name="alert_rule",
    )
    silent_after_days = models.PositiveSmallIntegerField(
        _("silent after (days)"),
        default=DEFAULT_SILENT_AFTER_DAYS,
        validators=[MinValueValidator(1)],
        help_text=_("An institution with no records on any of this many days goes silent."),
    )
    alert_on_drops = models.BooleanField(
        _("alert on volume drops"),
        default=False,
        help_text=_(
            "Also alert when an institution's records of the last day fall far below its "
            "usual (a volume anomaly of metrics.md), and when they are back to usual."
        ),
    )

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return f"{self.platform}: {self.silent_after_days}"


class Status(models.TextChoices):
    OK = "ok", _("Uploading")
    SILENT = "silent", _("Silent")
    # 突降: it uploads, but the last day's records are an outlier below its usual.
    DROP = "drop", _("Volume drop")


class Watch(models.Model):
    """The current state of one institution on one platform, as of the last evaluation."""

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OK)
    last_upload_date = models.DateField(_("last upload"), null=True, blank=True)
    silent_days = models.PositiveIntegerField(_("days without records"), default=0)
    changed_at = models.DateTimeField(_("status changed at"))
    evaluated_on = models.DateField(_("evaluated on"))

    class Meta:
        verbose_name = _("watched institution")
        verbose_name_plural = _("watched institutions")
        constraints = [
            models.UniqueConstraint(fields=["institution", "platform"], name="watch_unique_pair"),
        ]
        indexes = [models.Index(fields=["platform", "status"], name="watch_platform_status")]

    def __str__(self) -> str:
        return f"{self.institution} · {self.platform}: {self.status}"

    @property
    def silent_since(self) -> dt.date:
        """中断起始: the first day without records (the day after the last upload, or
        the day of connection for an institution that never uploaded since)."""
        return self.evaluated_on - dt.timedelta(days=self.silent_days)


class Flip(models.Model):
    """One change of a Watch's status. `processed_at` is set by the one worker that
    claims the flip (a conditional UPDATE) and sends its notices."""

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    old_status = models.CharField(_("previous status"), max_length=8, choices=Status.choices)
    new_status = models.CharField(_("new status"), max_length=8, choices=Status.choices)
    last_upload_date = models.DateField(_("last upload"), null=True, blank=True)
    silent_days = models.PositiveIntegerField(_("days without records"), default=0)
    # For a drop: the last day's records and the median of its baseline.
    records = models.BigIntegerField(_("records"), null=True, blank=True)
    usual = models.DecimalField(
        _("usual records"), max_digits=14, decimal_places=1, null=True, blank=True
    )
    day = models.DateField(_("evaluated day"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(processed_at__isnull=True),
                name="flip_unprocessed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.old_status}→{self.new_status}"

    @property
    def went_silent(self) -> bool:
        return self.new_status == Status.SILENT

    @property
    def dropped(self) -> bool:
        return self.new_status == Status.DROP

    @property
    def share(self):
        """The day's records as a percentage of the usual (metrics' share_of)."""
        from apps.metrics.anomalies import share_of

        return None if self.records is None else share_of(self.records, self.usual)


class Notification(models.Model):
    """A flip in one user's bell."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    flip = models.ForeignKey(
        Flip, verbose_name=_("status change"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "flip"], name="notification_unique_pair"),
        ]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.flip}"


class ChannelKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class Channel(models.Model):
    """A group-robot webhook that receives the flips of the institutions under a region."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=64)
    webhook_url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk robots with signing enabled only."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("alert channel")
        verbose_name_plural = _("alert channels")
        ordering = ["region__sort_key", "name"]

    def __str__(self) -> str:
        return f"{self.region} · {self.name}"


class Delivery(models.Model):
    """One message to send (an alert email, a robot post, a daily digest) and the log
    of its attempts. The text is stored, so a retry sends exactly the same message."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        WECOM = "wecom", _("WeCom")
        DINGTALK = "dingtalk", _("DingTalk")
        DIGEST = "digest", _("Daily digest email")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    flip = models.ForeignKey(
        Flip,
        verbose_name=_("status change"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    digest_day = models.DateField(_("digest day"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    target = models.CharField(_("target"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Once per change and recipient, once per day and officer: the database
            # refuses the second message, whatever the caller does.
            models.UniqueConstraint(
                fields=["flip", "user"],
                condition=Q(kind="email"),
                name="delivery_once_per_flip_user",
            ),
            models.UniqueConstraint(
                fields=["flip", "channel"],
                condition=Q(channel__isnull=False),
                name="delivery_once_per_flip_channel",
            ),
            models.UniqueConstraint(
                fields=["user", "digest_day"],
                condition=Q(kind="digest"),
                name="delivery_one_digest_per_day",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.target}: {self.state}"
