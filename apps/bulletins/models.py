from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.metrics.definitions import DEFAULT


def default_definitions() -> dict:
    return DEFAULT.as_dict()


class Bulletin(models.Model):
    """A quarterly (or any period's) bulletin (通报) of a region on one platform.

    While a draft its figures are live; publishing stores `snapshot`, every figure
    and the definitions used, and from then on the bulletin never changes: a
    correction is a new bulletin that `corrects` it.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("Platform"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("Period start"))
    period_end = models.DateField(_("Period end"))
    period_label = models.CharField(_("Period"), max_length=32)
    number = models.CharField(_("Document number"), max_length=64, unique=True)
    title = models.CharField(_("Title"), max_length=200)
    issuing_body = models.CharField(_("Issuing body"), max_length=100)
    recipients = models.TextField(_("Recipients"))
    issue_date = models.DateField(_("Date of issue"))
    opening = models.TextField(_("Opening"), blank=True)
    requirements = models.TextField(_("Work requirements"), blank=True)
    contacts = models.TextField(_("Contacts"), blank=True)
    definitions = models.JSONField(_("Definitions and thresholds"), default=default_definitions)
    # A report (统计报表) in a saved layout, printed as the second attachment. A
    # draft shows it live; publishing freezes it in the snapshot like the rest.
    report_layout = models.ForeignKey(
        "reports.ReportLayout",
        verbose_name=_("Attached report"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("Corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    snapshot = models.JSONField(_("Snapshot"), null=True, blank=True, editable=False)
    # The PDF as published, rendered once from the snapshot: a large region's takes
    # tens of seconds, and the published document must never change anyway.
    pdf = models.BinaryField(_("Published PDF"), null=True, blank=True, editable=False)
    # 排版中: a worker typesets the published PDF (apps.bulletins.tasks); its progress
    # in percent, and why it failed if it did (the PDF is then rendered on request).
    pdf_progress = models.PositiveSmallIntegerField(_("typesetting progress"), default=0)
    pdf_error = models.TextField(_("typesetting error"), blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("Published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Bulletin")
        verbose_name_plural = _("Bulletins")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.CheckConstraint(
                name="bulletin_published_is_frozen",
                condition=Q(status="draft")
                | Q(snapshot__isnull=False, published_at__isnull=False, published_by__isnull=False),
            ),
            models.CheckConstraint(
                name="bulletin_period_ordered",
                condition=Q(period_start__lte=models.F("period_end")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        if self.pk and Bulletin.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists():
            raise ValidationError(_("A published bulletin cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Bulletin.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists():
            raise ValidationError(_("A published bulletin cannot be deleted."))
        return super().delete(*args, **kwargs)

    @property
    def typesetting(self) -> bool:
        """排版中: published, its PDF not stored yet, and no failure."""
        return not self.is_draft and self.pdf is None and not self.pdf_error

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT
