from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DailyUpload(models.Model):
    """What one institution sent one platform in one table on one day.

    `table_code` is kept as the platform reported it, in the catalogue or not.
    """

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("平台"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("机构"),
        on_delete=models.CASCADE,
        related_name="daily_uploads",
    )
    table_code = models.CharField(_("表代码"), max_length=64)
    day = models.DateField(_("日期"))
    records = models.BigIntegerField(_("上传记录数"))
    rejected = models.BigIntegerField(_("校验未通过数"), default=0)

    class Meta:
        verbose_name = _("每日上传统计")
        verbose_name_plural = _("每日上传统计")
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
        "platforms.Platform", verbose_name=_("平台"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("机构"),
        on_delete=models.CASCADE,
        related_name="daily_totals",
    )
    day = models.DateField(_("日期"))
    records = models.BigIntegerField(_("上传记录数"))
    rejected = models.BigIntegerField(_("校验未通过数"))
    tables = models.PositiveIntegerField(_("有数据的表数"))

    class Meta:
        verbose_name = _("每日上传合计")
        verbose_name_plural = _("每日上传合计")
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
    by the statistics services. A quarter's per-table figures read three rows per
    table instead of ninety; the days of a partly covered month still come from
    DailyUpload."""

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("平台"), on_delete=models.CASCADE, related_name="+"
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("机构"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    table_code = models.CharField(_("表代码"), max_length=64)
    month = models.DateField(_("月份（当月1日）"))
    records = models.BigIntegerField(_("上传记录数"))
    rejected = models.BigIntegerField(_("校验未通过数"))

    class Meta:
        verbose_name = _("每月分表上传合计")
        verbose_name_plural = _("每月分表上传合计")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "institution", "table_code", "month"],
                name="monthly_table_total_unique_key",
            ),
        ]
        indexes = [models.Index(fields=["platform", "month"], name="monthly_total_platform_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.institution_id} {self.table_code}: {self.records}"
