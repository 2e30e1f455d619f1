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
    # The registry's order as one sortable string: each ancestor's position and code,
    # then the region's own ("000002.411500/000001.411526/"). A region sorts before
    # the regions under it and siblings in the file's order: every page, export and
    # bulletin lists regions (and their institutions) by it.
    sort_key = models.CharField(_("order"), max_length=255, db_index=True, editable=False)

    class Meta:
        verbose_name = _("administrative region")
        verbose_name_plural = _("administrative regions")
        ordering = ["sort_key"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = self.build_path()
        self.sort_key = self.build_sort_key()
        super().save(*args, **kwargs)

    def build_path(self) -> str:
        return f"{self.parent.path if self.parent else ''}{self.code}/"

    def build_sort_key(self) -> str:
        return f"{self.parent.sort_key if self.parent else ''}{self.position:06d}.{self.code}/"

    def descendants(self, include_self: bool = True) -> models.QuerySet["Region"]:
        qs = Region.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    @property
    def depth(self) -> int:
        return self.path.count("/")

    @property
    def whole_label(self) -> str:
        """The region as a whole, as commissions write it: 全省, 全市, 全县（区）."""
        return str(WHOLE_LABELS[self.level])


WHOLE_LABELS = {
    Region.Level.PROVINCE: _("the whole province"),
    Region.Level.CITY: _("the whole city"),
    Region.Level.COUNTY: _("the whole county"),
}

# The institutions attached directly to a region, as lists write them beside its
# subregions: 省直 beside a province's cities, 市直 beside a city's counties.
DIRECT_LABELS = {
    Region.Level.PROVINCE: _("Directly under the province"),
    Region.Level.CITY: _("Directly under the city"),
    Region.Level.COUNTY: _("Directly under the county"),
}
