"""The writes of a rectification task. Each transition checks who acts and from
which state, records a `TaskEvent`, and locks the task row so two clicks cannot
both move it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import OFFICER_ROLES, User
from apps.accounts.scoping import institutions_for
from apps.bulletins.models import Bulletin
from apps.bulletins.selectors import bulletins_for
from apps.institutions.models import Institution
from apps.platforms.models import Platform

from .attachments import attachment_check
from .models import RectificationTask, TaskAttachment, TaskEvent, TaskState


def supervises(user: User, institution: Institution) -> bool:
    """City and county officers whose region contains the institution open, accept
    and reopen its tasks."""
    return (
        user.is_authenticated
        and user.role in OFFICER_ROLES
        and institutions_for(user).filter(pk=institution.pk).exists()
    )


def answers_for(user: User, institution: Institution) -> bool:
    """The institution's own staff answer its tasks."""
    return (
        user.is_authenticated
        and user.role == User.Role.HOSPITAL
        and user.institution_id == institution.pk
    )


def _require_officer(user: User, institution: Institution) -> None:
    if not supervises(user, institution):
        raise PermissionDenied(_("Only the officers supervising this institution may do this."))


def _locked(task: RectificationTask) -> RectificationTask:
    return RectificationTask.objects.select_for_update().get(pk=task.pk)


def _require_state(task: RectificationTask, states: Sequence[str], message: str) -> None:
    if task.state not in states:
        raise ValidationError(message)


@transaction.atomic
def task_open(
    *,
    user: User,
    institution: Institution,
    problem: str,
    requirement: str,
    due_date: dt.date,
    platform: Platform | None = None,
    bulletin: Bulletin | None = None,
) -> RectificationTask:
    _require_officer(user, institution)
    if bulletin is not None and not bulletins_for(user).filter(pk=bulletin.pk).exists():
        raise ValidationError(_("Unknown bulletin."))
    if not problem.strip() or not requirement.strip():
        raise ValidationError(_("Describe the problem and the requirement."))
    task = RectificationTask.objects.create(
        institution=institution,
        platform=platform,
        bulletin=bulletin,
        problem=problem.strip(),
        requirement=requirement.strip(),
        due_date=due_date,
        opened_by=user,
    )
    TaskEvent.objects.create(task=task, author=user, kind=TaskEvent.Kind.OPENED)
    return task


@transaction.atomic
def task_answer(
    *, user: User, task: RectificationTask, text: str, files: Sequence[UploadedFile] = ()
) -> TaskEvent:
    """The institution's answer, with attachments. Every file is checked before
    any is stored: one refused file refuses the answer."""
    if not answers_for(user, task.institution):
        raise PermissionDenied(_("Only the staff of the institution may answer its tasks."))
    task = _locked(task)
    _require_state(
        task,
        (TaskState.OPEN, TaskState.REOPENED),
        _("Only a task awaiting an answer can be answered."),
    )
    if not text.strip():
        raise ValidationError(_("Describe what was done."))
    for upload in files:
        attachment_check(upload)
    event = TaskEvent.objects.create(
        task=task, author=user, kind=TaskEvent.Kind.ANSWERED, text=text.strip()
    )
    for upload in files:
        name = PurePath(upload.name).name
        attachment = TaskAttachment(event=event, original_name=name, size=upload.size)
        attachment.file.save(name, upload, save=False)
        attachment.save()
    task.state = TaskState.ANSWERED
    task.save(update_fields=["state"])
    return event


@transaction.atomic
def task_accept(*, user: User, task: RectificationTask, note: str = "") -> TaskEvent:
    _require_officer(user, task.institution)
    task = _locked(task)
    _require_state(task, (TaskState.ANSWERED,), _("Only an answered task can be accepted."))
    task.state = TaskState.ACCEPTED
    task.closed_at = timezone.now()
    task.save(update_fields=["state", "closed_at"])
    return TaskEvent.objects.create(
        task=task, author=user, kind=TaskEvent.Kind.ACCEPTED, text=note.strip()
    )


@transaction.atomic
def task_reopen(*, user: User, task: RectificationTask, note: str) -> TaskEvent:
    """Send an answered (or accepted) task back: it awaits an answer again."""
    _require_officer(user, task.institution)
    task = _locked(task)
    _require_state(
        task,
        (TaskState.ANSWERED, TaskState.ACCEPTED),
        _("Only an answered or accepted task can be reopened."),
    )
    if not note.strip():
        raise ValidationError(_("Say why the task is reopened."))
    task.state = TaskState.REOPENED
    task.closed_at = None
    task.save(update_fields=["state", "closed_at"])
    return TaskEvent.objects.create(
        task=task, author=user, kind=TaskEvent.Kind.REOPENED, text=note.strip()
    )


@transaction.atomic
def task_comment(*, user: User, task: RectificationTask, text: str) -> TaskEvent:
    """A remark in the history, by an officer or the institution's staff; the
    state does not change."""
    if not (supervises(user, task.institution) or answers_for(user, task.institution)):
        raise PermissionDenied(_("You may not comment on this task."))
    if not text.strip():
        raise ValidationError(_("Write a comment."))
    return TaskEvent.objects.create(
        task=task, author=user, kind=TaskEvent.Kind.COMMENTED, text=text.strip()
    )


@transaction.atomic
def task_close_by_figures(*, task: RectificationTask, text: str) -> TaskEvent | None:
    """Accept a task because the figures show the problem fixed (a campaign's
    check after a night's pull): no author, the reason in the history. A task
    already accepted is left as it is (None)."""
    task = _locked(task)
    if task.state == TaskState.ACCEPTED:
        return None
    task.state = TaskState.ACCEPTED
    task.closed_at = timezone.now()
    task.save(update_fields=["state", "closed_at"])
    return TaskEvent.objects.create(
        task=task, author=None, kind=TaskEvent.Kind.CLOSED_BY_FIGURES, text=text
    )
