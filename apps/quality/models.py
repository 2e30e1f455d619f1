"""Data quality (数据质量, metrics.md): the rules a platform checks what it receives
against, each in one dimension, and per institution, rule and day how many records
a rule checked and how many failed it."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Dimension(models.TextChoices):
    """The five dimensions of metrics.md, in the order commissions list them
    (连续性 is the continuity of the uploads, not a quality rule's)."""

    COMPLETENESS = "completeness", pgettext_lazy("quality dimension", "Completeness")
    CONFORMANCE = "conformance", pgettext_lazy("quality dimension", "Conformance")
    CONSISTENCY = "consistency", pgettext_lazy("quality dimension", "Consistency")
    LINKAGE = "linkage", pgettext_lazy("quality dimension", "Linkage")
    TIMELINESS = "timeliness", pgettext_lazy("quality dimension", "Timeliness")


class QualityRule(models.Model):
    """One of a platform's rules (`/quality-rules`, or a rules file)."""

    platform = models.ForeignKey(
        "platforms.Platform",
        verbose_name=_("platform"),
        on_delete=models.CASCADE,
        related_name="quality_rules",
    )
    code = models.CharField(_("rule code"), max_length=64)
    name = models.CharField(_("rule name"), max_length=200)
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    table_code = models.CharField(_("table code"), max_length=64, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("quality rule")
        verbose_name_plural = _("quality rules")
        ordering = ["platform", "code"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "code"], name="quality_rule_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class _Counts(models.Model):
    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    rule = models.ForeignKey(
        QualityRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="+"
    )
    checked = models.BigIntegerField(_("records checked"))
    failed = models.BigIntegerField(_("records failed"))

    class Meta:
        abstract = True


class DailyQuality(_Counts):
    """A rule's result for one institution on one platform and day. Written only by
    the storage service."""

    day = models.DateField(_("date"))

    class Meta:
        verbose_name = _("daily quality result")
        verbose_name_plural = _("daily quality results")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "institution", "rule", "day"], name="daily_quality_unique_key"
            ),
            models.CheckConstraint(
                condition=Q(failed__gte=0) & Q(failed__lte=F("checked")),
                name="daily_quality_failed_within_checked",
            ),
        ]
        indexes = [models.Index(fields=["platform", "day"], name="daily_quality_platform_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.institution_id} {self.rule_id}: {self.failed}/{self.checked}"


class MonthlyQuality(_Counts):
    """Roll-up of DailyQuality per institution, rule and calendar month (sums of
    checked and failed): a quarter reads three rows per rule instead of ninety."""

    month = models.DateField(_("month (its first day)"))

    class Meta:
        verbose_name = _("monthly quality total")
        verbose_name_plural = _("monthly quality totals")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "institution", "rule", "month"],
                name="monthly_quality_unique_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["platform", "month", "institution", "rule"], name="monthly_quality_platform"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.month:%Y-%m} {self.institution_id} {self.rule_id}: {self.failed}/{self.checked}"
        )
