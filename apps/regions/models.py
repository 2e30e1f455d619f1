from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """An administrative division (GB/T 2260): province → city → county.

    `path` is the materialized path of codes from the root ("410000/411500/"), so
    every descendant of a region is one indexed prefix query.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County/district")

    code = models.CharField(_("region code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=128, db_index=True, editable=False)
    # Order among siblings, as the regions file lists them: bulletins group their
    # institutions in this order (市直 first, then the counties as the city lists them).
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("administrative region")
        verbose_name_plural = _("administrative regions")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = self.build_path()
        super().save(*args, **kwargs)

    def build_path(self) -> str:
        return f"{self.parent.path if self.parent else ''}{self.code}/"

    def descendants(self, include_self: bool = True) -> models.QuerySet["Region"]:
        qs = Region.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    @property
    def depth(self) -> int:
        return self.path.count("/")
