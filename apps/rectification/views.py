"""Pages of the rectification tasks. Every task, attachment and export is reached
through `rectification_tasks_for`: outside the user's scope is 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.scoping import rectification_tasks_for
from apps.core.methods import accepts, post_only
from apps.core.sheets import xlsx_response

from . import services
from .forms import AnswerForm, NoteForm, TaskFilterForm, TaskOpenForm
from .models import RectificationTask, TaskAttachment, TaskState
from .selectors import task_counts_by_region, tasks_in_scope
from .tables import region_sheet, task_sheet


def _task_for(request: HttpRequest, pk: int) -> RectificationTask:
    return get_object_or_404(tasks_in_scope(request.user), pk=pk)


def _is_officer(user) -> bool:
    return user.is_officer


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = TaskFilterForm(request.GET or None, user=request.user)
    tasks = tasks_in_scope(request.user, today)
    if form.is_bound and not form.is_valid():
        if "region" in form.errors:
            raise Http404
        tasks = tasks.none()
    elif form.is_bound:
        data = form.cleaned_data
        if data["state"]:
            tasks = tasks.filter(state=data["state"])
        if data["overdue"]:
            tasks = tasks.overdue(today)
        if data["region"]:
            tasks = tasks.filter(institution__region__path__startswith=data["region"].path)
    sheets = {
        "tasks": task_sheet(tasks.order_by("due_date", "id"), today),
        "regions": region_sheet(task_counts_by_region(request.user, today)),
    }
    export = request.GET.get("export")
    if export:
        if export not in sheets:
            raise Http404
        return xlsx_response([sheets[export]], f"rectification-{export}-{today:%Y%m%d}.xlsx")
    return render(
        request,
        "rectification/task_list.html",
        {
            "form": form,
            "tasks": sheets["tasks"],
            "regions": sheets["regions"],
            "may_open": _is_officer(request.user),
            "today": today,
        },
    )


@login_required
@accepts("POST")
def task_new(request: HttpRequest) -> HttpResponse:
    if not _is_officer(request.user):
        raise PermissionDenied
    initial = {}
    if request.GET.get("institution"):
        initial["institution"] = request.GET["institution"]
    form = TaskOpenForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_open(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Rectification task opened."))
            return redirect("rectification-detail", pk=task.pk)
    return render(request, "rectification/task_new.html", {"form": form})


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    user = request.user
    officer = services.supervises(user, task.institution)
    staff = services.answers_for(user, task.institution)
    events = task.events.select_related("author").prefetch_related("attachments")
    return render(
        request,
        "rectification/task_detail.html",
        {
            "task": task,
            "days_overdue": task.days_overdue(),
            "events": events,
            "may_answer": staff and task.state in (TaskState.OPEN, TaskState.REOPENED),
            "may_accept": officer and task.state == TaskState.ANSWERED,
            "may_reopen": officer and task.state in (TaskState.ANSWERED, TaskState.ACCEPTED),
            "may_comment": officer or staff,
            "answer_form": AnswerForm(),
            "note_form": NoteForm(),
        },
    )


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:
    task = _task_for(request, pk)
    try:
        action(task)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("rectification-detail", pk=task.pk)


@login_required
@post_only
def task_answer(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda task: services.task_answer(
            user=request.user,
            task=task,
            text=request.POST.get("text", ""),
            files=request.FILES.getlist("files"),
        ),
    )


@login_required
@post_only
def task_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda task: services.task_accept(
            user=request.user, task=task, note=request.POST.get("note", "")
        ),
    )


@login_required
@post_only
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda task: services.task_reopen(
            user=request.user, task=task, note=request.POST.get("note", "")
        ),
    )


@login_required
@post_only
def task_comment(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda task: services.task_comment(
            user=request.user, task=task, text=request.POST.get("note", "")
        ),
    )


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(
        TaskAttachment.objects.filter(event__task__in=rectification_tasks_for(request.user)),
        pk=pk,
    )
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name
    )
