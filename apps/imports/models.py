"""A file an officer imports from the browser: uploaded, checked (a dry run of the
same importer the command line uses, rolled back), previewed, and written only when
confirmed. The job keeps the file, the preview, the result and who did what."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        REGIONS = "regions", _("Regions")
        INSTITUTIONS = "institutions", _("Institution registry")
        TABLES = "tables", _("Table catalogue")
        CONNECTIONS = "connections", _("Connection statuses")
        UPLOADS = "uploads", _("Daily statistics")
        INDICATORS = "indicators", _("Daily indicator values")
        REFERENCES = "references", _("References")
        DECLARATIONS = "declarations", _("Declared tables")
        QUALITY_RULES = "quality_rules", _("Quality rules")
        QUALITY = "quality", _("Daily quality results")
        PHASE_TARGETS = "phase_targets", _("Build-out phase targets")
        PHASE_STEPS = "phase_steps", _("Build-out step dates")

    class State(models.TextChoices):
        CHECKING = "checking", _("Being checked")
        READY = "ready", _("Waiting for confirmation")
        REFUSED = "refused", _("Refused")
        IMPORTING = "importing", _("Being imported")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.CHECKING
    )
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file"))
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    platform = models.ForeignKey(
        "platforms.Platform",
        verbose_name=_("platform"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # The kind's other choices: a catalogue's edition, valid-from and categories.
    options = models.JSONField(_("options"), default=dict, blank=True)
    # The importing officer's region: the file may touch nothing outside it, and
    # only officers over it see the job. Empty for a superuser's import.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    preview = models.JSONField(_("preview"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} ({self.get_state_display()})"

    @property
    def working(self) -> bool:
        return self.state in (self.State.CHECKING, self.State.IMPORTING)
