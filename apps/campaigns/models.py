"""The data-quality improvement campaign (专项提升行动), as the Nanjing newsletter
runs it: a name, a period, the dimensions it targets with their thresholds and the
units in it; the problems the figures show (rules and dimensions below threshold,
tables never sent, volume drops) become rectification tasks, which close
themselves when the following nights meet the threshold; the inspection schedule
(检查日程) with the units visited, the checklist and the findings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.quality.models import Dimension


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=100)
    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.PROTECT, related_name="+"
    )
    # The commission running it: its officers manage it, its units lie under it.
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    note = models.TextField(_("note"), blank=True)
    # The thresholds (%) of the dimensions it targets; empty: not targeted.
    completeness_min = models.DecimalField(
        _("completeness threshold"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    conformance_min = models.DecimalField(
        _("conformance threshold"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    consistency_min = models.DecimalField(
        _("consistency threshold"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    linkage_min = models.DecimalField(
        _("linkage threshold"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    timeliness_min = models.DecimalField(
        _("timeliness threshold"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    units = models.ManyToManyField(
        "institutions.Institution", verbose_name=_("units"), related_name="campaigns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("improvement campaign")
        verbose_name_plural = _("improvement campaigns")
        ordering = ["-start", "-id"]

    def __str__(self) -> str:
        return self.name

    def thresholds(self) -> dict[str, object]:
        """Dimension → threshold, of the dimensions the campaign targets, in the
        dimensions' order."""
        result = {}
        for dimension in Dimension.values:
            value = getattr(self, f"{dimension}_min")
            if value is not None:
                result[dimension] = value
        return result


class Inspection(models.Model):
    """One date of the inspection schedule: the hospital and the county commission
    visited (either may be empty), what is checked and what was found."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="inspections"
    )
    day = models.DateField(_("date"))
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("hospital visited"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("commission visited"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    checklist = models.TextField(_("checklist"), blank=True)
    findings = models.TextField(_("findings"), blank=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["day", "id"]

    def __str__(self) -> str:
        return f"{self.day} {self.institution or ''} {self.region or ''}".strip()


class ProblemKind(models.TextChoices):
    DIMENSION = "dimension", _("Dimension below threshold")
    RULE = "rule", _("Rule below threshold")
    TABLE = "table", _("Table never sent")
    DROP = "drop", _("Volume drop")
    FINDING = "finding", _("Inspection finding")


class CampaignTask(models.Model):
    """A rectification task opened from a campaign's problem, and what closes it:
    the figures of the nights after `after` meeting `threshold` (a dimension or a
    rule's pass rate) or holding the table. Drops and findings close by hand."""

    task = models.OneToOneField(
        "rectification.RectificationTask",
        verbose_name=_("task"),
        on_delete=models.CASCADE,
        related_name="campaign_link",
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="tasks"
    )
    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("inspection"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ProblemKind.choices)
    # A dimension's or a rule's code; for tables, the codes never sent, comma-separated.
    code = models.TextField(_("code"), blank=True)
    threshold = models.DecimalField(
        _("threshold"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # The last day of the figures that showed the problem: the nights after it judge.
    after = models.DateField(_("figures up to"))

    class Meta:
        verbose_name = _("campaign task")
        verbose_name_plural = _("campaign tasks")

    def __str__(self) -> str:
        return f"{self.campaign} · {self.kind} {self.code}"

    @property
    def problem_key(self) -> str:
        """The key of the problem it was made from (selectors.Problem.key)."""
        if self.kind in (ProblemKind.TABLE, ProblemKind.DROP):
            return self.kind
        return f"{self.kind}:{self.code}"

    @property
    def closes_itself(self) -> bool:
        return self.kind in (ProblemKind.DIMENSION, ProblemKind.RULE, ProblemKind.TABLE)
