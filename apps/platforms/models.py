import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.Model):
    """A health information platform institutions connect to (the city platform …)."""

    class Level(models.TextChoices):
        CITY = "city", _("市级")
        PROVINCE = "province", _("省级")

    code = models.SlugField(_("平台代码"), max_length=32, unique=True)
    name = models.CharField(_("平台名称"), max_length=128)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, default=Level.CITY)

    class Meta:
        verbose_name = _("信息平台")
        verbose_name_plural = _("信息平台")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class TableEdition(models.Model):
    """One edition of a platform's catalogue of required tables.

    It is in force from `valid_from` and applies to every institution of the
    platform, or only to the institution categories in `categories`.
    """

    platform = models.ForeignKey(
        Platform, verbose_name=_("平台"), on_delete=models.CASCADE, related_name="editions"
    )
    name = models.CharField(_("版本名称"), max_length=64)
    valid_from = models.DateField(_("生效日期"))
    categories = models.JSONField(_("适用机构类别"), default=list, blank=True)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("数据表目录版本")
        verbose_name_plural = _("数据表目录版本")
        ordering = ["platform", "-valid_from", "name"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "name"], name="edition_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.platform.code} {self.name}"

    def applies_to(self, category: str) -> bool:
        return not self.categories or category in self.categories


class CatalogueTable(models.Model):
    edition = models.ForeignKey(
        TableEdition, verbose_name=_("目录版本"), on_delete=models.CASCADE, related_name="tables"
    )
    code = models.CharField(_("表代码"), max_length=64)
    name = models.CharField(_("表名称"), max_length=128)
    category = models.CharField(_("类别"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("必传数据表")
        verbose_name_plural = _("必传数据表")
        ordering = ["edition", "id"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "code"], name="catalogue_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", _("已联通")
    INTEGRATING = "integrating", _("联调中")
    NOT_CONNECTED = "not_connected", _("未联通")
    UPSTREAM = "upstream", _("已联通省平台")


class Connection(models.Model):
    """An institution's link to a platform. `status` is the status in force today,
    kept in step with the history by `connection_set_status`."""

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("机构"),
        on_delete=models.CASCADE,
        related_name="connections",
    )
    platform = models.ForeignKey(
        Platform, verbose_name=_("平台"), on_delete=models.CASCADE, related_name="connections"
    )
    status = models.CharField(
        _("联通状态"),
        max_length=16,
        choices=ConnectionStatus.choices,
        default=ConnectionStatus.NOT_CONNECTED,
    )
    front_server_last_seen = models.DateTimeField(_("前置机最近心跳"), null=True, blank=True)

    class Meta:
        verbose_name = _("联通情况")
        verbose_name_plural = _("联通情况")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "platform"], name="connection_unique_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} · {self.platform}"


class ConnectionChange(models.Model):
    """One change of a connection's status: effective on a day, entered by someone
    (or by an import or a pull, named in `source`)."""

    connection = models.ForeignKey(
        Connection, verbose_name=_("联通情况"), on_delete=models.CASCADE, related_name="changes"
    )
    effective_date = models.DateField(_("生效日期"))
    from_status = models.CharField(_("原状态"), max_length=16, choices=ConnectionStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=ConnectionStatus.choices)
    entered_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("来源"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("联通状态变更")
        verbose_name_plural = _("联通状态变更")
        ordering = ["connection", "effective_date", "id"]
        indexes = [models.Index(fields=["connection", "effective_date"])]

    def __str__(self) -> str:
        return f"{self.effective_date} {self.from_status}→{self.to_status}"


def status_on(changes: Sequence["ConnectionChange"], day: dt.date) -> str:
    """The status in force on `day`, given one connection's changes in
    (effective_date, id) order: the latest change effective on or before it."""
    status = ConnectionStatus.NOT_CONNECTED
    for change in changes:
        if change.effective_date > day:
            break
        status = change.to_status
    return status


def connected_since(changes: Sequence["ConnectionChange"], day: dt.date) -> dt.date | None:
    """The first day of the run of `connected` that is in force on `day`, or None."""
    since = None
    for change in changes:
        if change.effective_date > day:
            break
        if change.to_status == ConnectionStatus.CONNECTED:
            if since is None:
                since = change.effective_date
        else:
            since = None
    return since
