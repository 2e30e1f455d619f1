"""Business indicators (业务指标, metrics.md): what a platform counts of each
institution's real business per day — outpatient visits, discharges, health records
held, appointments by channel, telemedicine, kiosks — and the references (应报数)
the uploaded values are measured against."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Indicator(models.Model):
    """One indicator of the catalogue. The defaults of metrics.md are built in (their
    codes are fixed); officers may add their own."""

    class Kind(models.TextChoices):
        FLOW = "flow", _("Flow (summed over the period)")
        STOCK = "stock", _("Stock (the latest value on or before the end)")

    code = models.SlugField(_("indicator code"), max_length=64, unique=True)
    name = models.CharField(_("indicator name"), max_length=64)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    group = models.CharField(_("group"), max_length=32, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    builtin = models.BooleanField(_("built in"), default=False, editable=False)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_stock(self) -> bool:
        return self.kind == self.Kind.STOCK


class DailyIndicator(models.Model):
    """An indicator's value for one institution on one platform and day (a stock
    indicator: its running total that day). Written only by the storage service."""

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("date"))
    value = models.BigIntegerField(_("value"))

    class Meta:
        verbose_name = _("daily indicator value")
        verbose_name_plural = _("daily indicator values")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "institution", "indicator", "day"],
                name="daily_indicator_unique_key",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="daily_indicator_value_gte_0"),
        ]
        indexes = [models.Index(fields=["platform", "day"], name="daily_indicator_platform_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.institution_id} {self.indicator_id}: {self.value}"


class MonthlyIndicator(models.Model):
    """Roll-up of DailyIndicator per institution, indicator and calendar month: the
    sum of the month's values (a flow's value for the month) and the value of its
    latest day (a stock's value at the month's end). Written only by the storage
    service; a quarter reads three rows per indicator instead of ninety."""

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("month (its first day)"))
    total = models.BigIntegerField(_("sum of the month"))
    last_day = models.DateField(_("latest day with a value"))
    last_value = models.BigIntegerField(_("value of the latest day"))

    class Meta:
        verbose_name = _("monthly indicator total")
        verbose_name_plural = _("monthly indicator totals")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "institution", "indicator", "month"],
                name="monthly_indicator_unique_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["platform", "month", "institution", "indicator"],
                name="monthly_indicator_platform",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.institution_id} {self.indicator_id}: {self.total}"


class Reference(models.Model):
    """应报数 / 基数: what an institution really served or holds, from another source
    (卫生统计直报, the resident base), for a month or a year. A later value for the
    same key replaces the earlier one."""

    class Span(models.TextChoices):
        MONTH = "month", _("Month")
        YEAR = "year", _("Year")

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+"
    )
    span = models.CharField(_("span"), max_length=8, choices=Span.choices)
    start = models.DateField(_("first day"))
    value = models.BigIntegerField(_("reference"))
    source = models.CharField(_("source"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "institution", "indicator", "span", "start"],
                name="reference_unique_key",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="reference_value_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m} {self.span} {self.institution_id} {self.indicator_id}"

    @property
    def period_key(self) -> str:
        return f"{self.start:%Y-%m}" if self.span == self.Span.MONTH else f"{self.start:%Y}"


MONTHS = range(1, 13)


def _month_columns(prefix: str, label: str) -> dict[str, models.BigIntegerField]:
    """Twelve nullable columns, `prefix`1 … `prefix`12: one per calendar month."""
    return {f"{prefix}{m}": models.BigIntegerField(label % m, null=True) for m in MONTHS}


class IndicatorYear(models.Model):
    """One indicator of one institution on one platform for one calendar year, in one
    row: each month's sum and latest value (the monthly roll-up, `t1`…`t12`,
    `v1`…`v12`), each month's reference (`r1`…`r12`) and the year's (`y`), NULL
    where there is none. A period's values and references are then one expression
    over the columns of its months (metrics.indicators): a province's quarter reads
    one row per institution and indicator with the few numbers the period needs,
    instead of its months' rows of the roll-up and of the references. Written only by
    the storage services, in the transaction that changes what it holds
    (apps.indicators.years: `months_refresh` for daily values, `years_rebuild` for
    references)."""

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    locals().update(_month_columns("t", "sum of month %d"))
    locals().update(_month_columns("v", "latest value of month %d"))
    locals().update(_month_columns("r", "reference of month %d"))
    y = models.BigIntegerField(_("reference of the year"), null=True)

    class Meta:
        verbose_name = _("indicator of a year")
        verbose_name_plural = _("indicators of years")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "year", "institution", "indicator"],
                name="indicator_year_unique_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.institution_id} {self.indicator_id}"
