from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DataVersion(models.Model):
    """One row, bumped by every change that can move a figure (statistics, the
    registry, connections, catalogues), so cached figures are never read across a
    change (apps/metrics/figures.py). `changed_at` keeps a restored database from
    meeting the cache entries of the version it had before."""

    version = models.BigIntegerField(_("version"), default=0)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")

    def __str__(self) -> str:
        return f"{self.version} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
