"""Saved report layouts (报表格式): the columns of a report, its order and whether
it has a total row, named so officers reuse them each month. The two the portal
ships lay out the tables of the Jiangsu province newsletter and the Nanjing city
newsletter; a commission saves its own for its region."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportLayout(models.Model):
    name = models.CharField(_("layout name"), max_length=64)
    title = models.CharField(
        _("table title"),
        max_length=100,
        blank=True,
        help_text=_("Printed above the table, before the period."),
    )
    columns = models.JSONField(_("columns"), default=list)
    order = models.CharField(_("ordered by"), max_length=80, blank=True)
    descending = models.BooleanField(_("largest first"), default=True)
    # The region whose officers share it; None: shipped with the portal, for all.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    builtin = models.BooleanField(_("shipped with the portal"), default=False, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        verbose_name = _("report layout")
        verbose_name_plural = _("report layouts")
        ordering = ["-builtin", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="report_layout_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
