import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.secrets import EncryptedTextField


class Platform(models.Model):
    """A health information platform institutions connect to (the city platform …)."""

    class Level(models.TextChoices):
        CITY = "city", _("City-level")
        PROVINCE = "province", _("Province-level")

    code = models.SlugField(_("platform code"), max_length=32, unique=True)
    name = models.CharField(_("platform name"), max_length=128)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.CITY)
    # The region whose commission runs the platform: its officers watch the pulls
    # (their log, rejected items, unknown codes). Empty: superusers only.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region served"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="platforms",
    )
    # The statistics interface (platform-api.md). The token is a secret: stored
    # encrypted, never shown on a page, in the admin or in a log.
    api_url = models.URLField(_("statistics interface URL"), blank=True)
    api_token = EncryptedTextField(_("statistics interface token"), blank=True)

    class Source(models.TextChoices):
        HTTP = "http", _("Statistics interface (HTTP)")
        SQL = "sql", _("The platform's database (SQL)")
        FILES = "files", _("A folder of daily files (local or SFTP)")

    # Where the pulls read (platform-api.md, "Sources other than this interface").
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.HTTP
    )
    # sql: a SQLAlchemy URL without its password; the password write-only and
    # encrypted; one SELECT per kind (uploads, indicators, quality, quality_rules,
    # institutions) with :start and :end; each cancelled after `sql_timeout` seconds.
    sql_url = models.CharField(_("database URL"), max_length=500, blank=True)
    sql_password = EncryptedTextField(_("database password"), blank=True)
    sql_queries = models.JSONField(_("queries"), default=dict, blank=True)
    sql_timeout = models.PositiveIntegerField(_("query timeout (seconds)"), default=300)
    # files: a local folder or sftp://user@host:port/path; the private key encrypted;
    # the SFTP server's host key ("type base64") as confirmed by the officer.
    files_location = models.CharField(_("folder"), max_length=500, blank=True)
    files_private_key = EncryptedTextField(_("SFTP private key"), blank=True)
    files_host_key = models.TextField(_("SFTP host key"), blank=True)

    class Meta:
        verbose_name = _("information platform")
        verbose_name_plural = _("information platforms")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def can_be_pulled(self) -> bool:
        if self.source == self.Source.SQL:
            return bool(self.sql_url and self.sql_queries)
        if self.source == self.Source.FILES:
            return bool(self.files_location)
        return bool(self.api_url and self.api_token)

    def sends_token_to(self, api_url: str) -> bool:
        """Whether the stored token may go to `api_url`: only to the stored address
        (a trailing slash aside); another address needs its own token typed."""
        return api_url.rstrip("/") == self.api_url.rstrip("/")


TOKEN_FOR_THE_ADDRESS = _(
    "Type the token for this address: the stored token is only sent to the stored interface URL."
)


class TableEdition(models.Model):
    """One edition of a platform's catalogue of required tables.

    It is in force from `valid_from` and applies to every institution of the
    platform, or only to the institution categories in `categories`.
    """

    platform = models.ForeignKey(
        Platform, verbose_name=_("platform"), on_delete=models.CASCADE, related_name="editions"
    )
    name = models.CharField(_("edition name"), max_length=64)
    valid_from = models.DateField(_("effective date"))
    categories = models.JSONField(_("applicable institution categories"), default=list, blank=True)
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("table catalogue edition")
        verbose_name_plural = _("table catalogue editions")
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
        TableEdition,
        verbose_name=_("catalogue edition"),
        on_delete=models.CASCADE,
        related_name="tables",
    )
    code = models.CharField(_("table code"), max_length=64)
    name = models.CharField(_("table name"), max_length=128)
    category = models.CharField(_("category"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("required table")
        verbose_name_plural = _("required tables")
        ordering = ["edition", "id"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "code"], name="catalogue_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TableDeclaration(models.Model):
    """申明上传表: a table of an edition an institution declares it can upload. An
    institution without any for the edition in force has not answered (未反馈)."""

    edition = models.ForeignKey(
        TableEdition,
        verbose_name=_("catalogue edition"),
        on_delete=models.CASCADE,
        related_name="declarations",
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    table_code = models.CharField(_("table code"), max_length=64)

    class Meta:
        verbose_name = _("declared table")
        verbose_name_plural = _("declared tables")
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "institution", "table_code"], name="declaration_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition_id} {self.institution_id} {self.table_code}"


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    INTEGRATING = "integrating", _("Integrating")
    NOT_CONNECTED = "not_connected", _("Not connected")
    UPSTREAM = "upstream", _("Connected to the provincial platform")


class Connection(models.Model):
    """An institution's link to a platform. `status` is the status in force today,
    kept in step with the history by `connection_set_status`."""

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="connections",
    )
    platform = models.ForeignKey(
        Platform, verbose_name=_("platform"), on_delete=models.CASCADE, related_name="connections"
    )
    status = models.CharField(
        _("connection status"),
        max_length=16,
        choices=ConnectionStatus.choices,
        default=ConnectionStatus.NOT_CONNECTED,
    )
    front_server_last_seen = models.DateTimeField(
        _("front server last seen"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "platform"], name="connection_unique_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} · {self.platform}"


# The sources a status change may name (ConnectionChange.source), as users read
# them; a pull names itself in words already ("pull 12").
CHANGE_SOURCES = {
    "load_demo": _("demo data"),
    "set_connection": _("command line"),
    "admin": _("administration"),
    "import": _("file import"),
}


def change_source_label(source: str) -> str:
    return str(CHANGE_SOURCES.get(source, source))


class ConnectionChange(models.Model):
    """One change of a connection's status: effective on a day, entered by someone
    (or by an import or a pull, named in `source`)."""

    connection = models.ForeignKey(
        Connection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="changes"
    )
    effective_date = models.DateField(_("effective date"))
    from_status = models.CharField(
        _("previous status"), max_length=16, choices=ConnectionStatus.choices
    )
    to_status = models.CharField(_("new status"), max_length=16, choices=ConnectionStatus.choices)
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("connection status change")
        verbose_name_plural = _("connection status changes")
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


def status_since(changes: Sequence["ConnectionChange"], day: dt.date) -> dt.date | None:
    """The first day of the run of the status in force on `day` (None for an
    institution never recorded other than not connected)."""
    since = status = None
    for change in changes:
        if change.effective_date > day:
            break
        if change.to_status != status:
            since, status = change.effective_date, change.to_status
    return since
