"""Rectification tasks (整改任务): an officer asks an institution to fix a problem
by a date; the institution's staff answer; the officer accepts or reopens. Every
change is a `TaskEvent`, so the history is the record."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TaskState(models.TextChoices):
    OPEN = "open", _("Awaiting answer")
    ANSWERED = "answered", _("Awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    REOPENED = "reopened", _("Reopened")


def overdue_condition(today: dt.date) -> Q:
    """Overdue (逾期): not accepted and due before today. The one definition, used by
    every list, count, export and dashboard."""
    return Q(due_date__lt=today) & ~Q(state=TaskState.ACCEPTED)


class TaskQuerySet(models.QuerySet):
    def overdue(self, today: dt.date | None = None) -> TaskQuerySet:
        return self.filter(overdue_condition(today or timezone.localdate()))

    def unresolved(self) -> TaskQuerySet:
        return self.exclude(state=TaskState.ACCEPTED)

    def with_overdue(self, today: dt.date | None = None) -> TaskQuerySet:
        """Each task annotated with `is_overdue` (as of `today`, Asia/Shanghai)."""
        condition = overdue_condition(today or timezone.localdate())
        return self.annotate(is_overdue=ExpressionWrapper(condition, output_field=BooleanField()))


class RectificationTask(models.Model):
    State = TaskState

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="rectification_tasks",
    )
    platform = models.ForeignKey(
        "platforms.Platform",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    bulletin = models.ForeignKey(
        "bulletins.Bulletin",
        verbose_name=_("bulletin"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rectification_tasks",
    )
    problem = models.TextField(_("problem"))
    requirement = models.TextField(_("rectification requirement"))
    due_date = models.DateField(_("due date"))
    state = models.CharField(
        _("state"), max_length=16, choices=TaskState.choices, default=TaskState.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification task")
        verbose_name_plural = _("rectification tasks")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["state", "due_date"])]

    def __str__(self) -> str:
        return f"{self.institution} · {self.problem[:30]}"

    def days_overdue(self, today: dt.date | None = None) -> int | None:
        """Days past the due date of a task annotated by `with_overdue`, else None."""
        if not self.is_overdue:
            return None
        return ((today or timezone.localdate()) - self.due_date).days


class TaskEvent(models.Model):
    """One change of a task (or a comment on it): who, when, what."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ANSWERED = "answered", _("Answered")
        ACCEPTED = "accepted", _("Accepted")
        REOPENED = "reopened", _("Reopened")
        COMMENTED = "commented", _("Commented")
        # Accepted by the portal itself: the nights after the task met its threshold.
        CLOSED_BY_FIGURES = "by_figures", _("Closed by the figures")

    task = models.ForeignKey(
        RectificationTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="events"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    created = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("task event")
        verbose_name_plural = _("task events")
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind}"


class TaskAttachment(models.Model):
    """A file attached to an event. Stored under MEDIA_ROOT but never served from a
    public URL: the download view checks the user's scope."""

    event = models.ForeignKey(
        TaskEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="rectification/%Y/%m/", max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("task attachment")
        verbose_name_plural = _("task attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name
