from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SyncRun(models.Model):
    """One pull of one platform: a day's statistics, or its institutions. The sync
    log the officers read, and the record of what each pull stored or refused."""

    class Kind(models.TextChoices):
        UPLOADS = "upload_stats", _("Upload statistics")
        INDICATORS = "indicator_stats", _("Business indicators")
        QUALITY = "quality_stats", _("Data quality results")
        QUALITY_RULES = "quality_rules", _("Data quality rules")
        INSTITUTIONS = "institutions", _("Institutions and connection statuses")

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCESS = "success", _("Stored")
        SKIPPED = "skipped", _("Not newer than what is stored")
        NO_DATA = "no_data", _("No statistics for the day")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Nightly schedule")
        COMMAND = "command", _("Command")
        PAGE = "page", _("Started from the portal")

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("Platform"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    day = models.DateField(_("day"), null=True, blank=True)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    generated_at = models.DateTimeField(_("generated at (platform)"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    rows_stored = models.PositiveIntegerField(_("rows stored"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    unknown_codes = models.PositiveIntegerField(_("unknown institution codes"), default=0)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING
    )
    error = models.TextField(_("error"), blank=True)
    # Each rejected item with its reason: {"page": n, "item": i, "reason": "...", "data": {...}}.
    rejections = models.JSONField(_("rejections"), default=list, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    backfill = models.ForeignKey(
        "Backfill",
        verbose_name=_("backfill"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
    )

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["platform", "kind", "day"])]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.kind} {self.day or ''} {self.outcome}"


class PulledDay(models.Model):
    """The `generated_at` of the figures stored for a platform's day, for each kind
    (upload statistics, business indicators): an older or equal one never replaces
    them."""

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("Platform"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=SyncRun.Kind.choices, default=SyncRun.Kind.UPLOADS
    )
    day = models.DateField(_("day"))
    generated_at = models.DateTimeField(_("generated at (platform)"))
    # A file's SHA-256 (a folder source): the same file read again is not newer.
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    run = models.ForeignKey(
        SyncRun, verbose_name=_("sync run"), on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("pulled day")
        verbose_name_plural = _("pulled days")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "kind", "day"], name="pulled_day_kind_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.day} {self.generated_at}"


class Waiting(models.Model):
    """What the review queue keeps of a pulled row it could not store (its
    platform, day and institution code as sent, when the platform generated it,
    the run that brought it): one queue, a model per kind for its code and values."""

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("Platform"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    org_code = models.CharField(_("institution code"), max_length=64)
    generated_at = models.DateTimeField(_("generated at (platform)"))
    run = models.ForeignKey(
        SyncRun, verbose_name=_("sync run"), on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        abstract = True


class UnknownUpload(Waiting):
    """A row a platform sent for an institution code the registry does not know:
    kept with its figures until an officer maps the code to an institution."""

    table_code = models.CharField(_("table code"), max_length=64)
    records = models.BigIntegerField(_("records uploaded"))
    rejected = models.BigIntegerField(_("records rejected"))

    class Meta:
        verbose_name = _("row of an unknown institution")
        verbose_name_plural = _("rows of unknown institutions")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "day", "org_code", "table_code"], name="unknown_upload_unique"
            ),
        ]
        indexes = [models.Index(fields=["platform", "org_code"])]

    def __str__(self) -> str:
        return f"{self.day} {self.org_code} {self.table_code}: {self.records}"


class UnknownIndicatorValue(Waiting):
    """An /indicator-stats item for an institution code the registry does not know,
    or for an indicator the catalogue does not have: kept until an officer maps the
    code or adds the indicator, then stored like the rest."""

    indicator = models.CharField(_("indicator code"), max_length=64)
    value = models.BigIntegerField(_("value"))

    class Meta:
        verbose_name = _("indicator value waiting for review")
        verbose_name_plural = _("indicator values waiting for review")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "day", "org_code", "indicator"],
                name="unknown_indicator_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["platform", "org_code"], name="unknown_indicator_org"),
            models.Index(fields=["platform", "indicator"], name="unknown_indicator_code"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.org_code} {self.indicator}: {self.value}"


class UnknownQualityValue(Waiting):
    """A /quality-stats item for an institution code the registry does not know, or
    for a rule the platform's /quality-rules did not list: kept until an officer
    maps the code or the platform lists the rule, then stored like the rest."""

    rule = models.CharField(_("rule code"), max_length=64)
    checked = models.BigIntegerField(_("records checked"))
    failed = models.BigIntegerField(_("records failed"))

    class Meta:
        verbose_name = _("quality result waiting for review")
        verbose_name_plural = _("quality results waiting for review")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "day", "org_code", "rule"], name="unknown_quality_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["platform", "org_code"], name="unknown_quality_org"),
            models.Index(fields=["platform", "rule"], name="unknown_quality_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.org_code} {self.rule}: {self.failed}/{self.checked}"


class OrgCodeAlias(models.Model):
    """A code a platform sends for an institution the registry knows under another
    code: set by an officer resolving the review queue, used by every later pull."""

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("Platform"), on_delete=models.CASCADE, related_name="+"
    )
    org_code = models.CharField(_("code sent by the platform"), max_length=64)
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("healthcare institution"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mapped by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("mapped at"), auto_now_add=True)

    class Meta:
        verbose_name = _("institution code alias")
        verbose_name_plural = _("institution code aliases")
        constraints = [
            models.UniqueConstraint(fields=["platform", "org_code"], name="org_code_alias_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.org_code} → {self.institution}"


class Backfill(models.Model):
    """Pulling a range of days again, started from the platform page or with
    `pull_platform`: its progress is what the page shows."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Some days failed")
        # Its worker was lost (no progress for a while); restarting resumes it.
        INTERRUPTED = "interrupted", _("Interrupted")

    platform = models.ForeignKey(
        "platforms.Platform", verbose_name=_("Platform"), on_delete=models.CASCADE, related_name="+"
    )
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("to"))
    with_institutions = models.BooleanField(_("connection statuses too"), default=False)
    trigger = models.CharField(
        _("trigger"), max_length=16, choices=SyncRun.Trigger.choices, default=SyncRun.Trigger.PAGE
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    days_total = models.PositiveIntegerField(_("days"), default=0)
    days_done = models.PositiveIntegerField(_("days pulled"), default=0)
    days_failed = models.PositiveIntegerField(_("days failed"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The last sign of life of the worker running it (its start, each day pulled).
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("backfill")
        verbose_name_plural = _("backfills")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.first_day}–{self.last_day} {self.state}"

    @property
    def percent(self) -> int:
        return int(100 * self.days_done / self.days_total) if self.days_total else 0

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED, self.State.INTERRUPTED)

    @property
    def restartable(self) -> bool:
        return self.state in (self.State.FAILED, self.State.INTERRUPTED)
