from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DailyUpload(models.Model):
    """What one institution sent one platform in one table on one day.

    `table_code` is kept as the platform reported it, in the catalogue or not.
    """

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="daily_uploads",
    )
    table_code = models.CharField(_("table code"), max_length=64)
    day = models.DateField(_("date"))
    records = models.BigIntegerField(_("records uploaded"))
    rejected = models.BigIntegerField(_("records rejected"), default=0)

    class Meta:
        verbose_name = _("daily upload")
        verbose_name_plural = _("daily uploads")
        constraints = [
            # Also the index for one institution's period: (platform, institution, …).
            models.UniqueConstraint(
                fields=["platform", "institution", "table_code", "day"],
                name="daily_upload_unique_key",
            ),
            models.CheckConstraint(condition=Q(records__gte=0), name="daily_upload_records_gte_0"),
            models.CheckConstraint(
                condition=Q(rejected__gte=0), name="daily_upload_rejected_gte_0"
            ),
        ]
        indexes = [models.Index(fields=["platform", "day"], name="daily_upload_platform_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.institution_id} {self.table_code}: {self.records}"


class DailyTotal(models.Model):
    """Roll-up of DailyUpload per institution and day, written only by the
    statistics services. The day-based figures (upload days, interruptions, last
    upload) read this: a hundred times fewer rows than DailyUpload."""

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="daily_totals",
    )
    day = models.DateField(_("date"))
    records = models.BigIntegerField(_("records uploaded"))
    rejected = models.BigIntegerField(_("records rejected"))
    tables = models.PositiveIntegerField(_("tables with data"))

    class Meta:
        verbose_name = _("daily upload total")
        verbose_name_plural = _("daily upload totals")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "institution", "day"], name="daily_total_unique_key"
            ),
            models.CheckConstraint(condition=Q(records__gte=0), name="daily_total_records_gte_0"),
        ]
        indexes = [models.Index(fields=["platform", "day"], name="daily_total_platform_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.institution_id}: {self.records}"


class MonthlyTableTotal(models.Model):
    """Roll-up of DailyUpload per institution, table and calendar month, written only
    by the statistics services by the difference each write makes: bitmaps (bit
    d − 1 for day d) of the days the table was reported and of those with records.
    A period's partial months read which tables had records on their days from it
    (MonthlyTotal's codes are its whole months). No sums: a revised night that
    changes counts but not whether a table had records leaves it alone."""

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    table_code = models.CharField(_("table code"), max_length=64)
    month = models.DateField(_("month (its first day)"))
    # Written by adding differences: a day's bit is added when the day gains its
    # row (or its records) and subtracted when it loses them, so the sums are the
    # bitmaps. An upsert's row may then be negative: no CHECK on these.
    report_days = models.BigIntegerField(_("days reported (bitmap)"))
    upload_days = models.BigIntegerField(_("days with records (bitmap)"))

    class Meta:
        verbose_name = _("monthly upload total by table")
        verbose_name_plural = _("monthly upload totals by table")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "institution", "table_code", "month"],
                name="monthly_table_total_unique_key",
            ),
        ]
        indexes = [
            # The months a write touched are read by platform and month. No column a
            # write changes is in an index, so a revised night's updates stay HOT
            # (on PostgreSQL: fillfactor 85, migration uploads 0005).
            models.Index(
                fields=["platform", "month", "institution", "table_code"],
                name="monthly_table_total_month",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.institution_id} {self.table_code}: {self.upload_days:b}"


class MonthlyTotal(models.Model):
    """Roll-up per institution and calendar month, written only by the statistics
    services from the two roll-ups above: what a period's figures need of a whole
    month in one row (a province's year is 24,000 rows instead of 730,000 days and
    1.3 million table-months). Which days had records is a bitmap (bit d − 1 for
    day d); which tables had records, and which only rows without records, are
    their codes, sorted and joined by commas (codes hold no commas)."""

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("platform"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    month = models.DateField(_("month (its first day)"))
    records = models.BigIntegerField(_("records uploaded"))
    rejected = models.BigIntegerField(_("records rejected"))
    upload_days = models.BigIntegerField(_("days with records (bitmap)"))
    last_upload = models.DateField(_("last day with records"), null=True)
    tables = models.TextField(_("tables with records"), blank=True, default="")
    silent_tables = models.TextField(_("tables without records"), blank=True, default="")

    class Meta:
        verbose_name = _("monthly upload total")
        verbose_name_plural = _("monthly upload totals")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "institution", "month"], name="monthly_total_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["platform", "month"], name="monthly_total_platform_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.institution_id}: {self.records}"

    def days(self) -> list[int]:
        """The days of the month with records."""
        return [d + 1 for d in range(31) if self.upload_days >> d & 1]
