"""Imports from the browser: the kinds an officer may import with their templates
and the latest imports; upload → check → preview → confirm → done, each job seen
through `import_jobs_for` (404 outside it)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from apps.accounts.scoping import (
    import_jobs_for,
    ingestion_platforms_for,
    institutions_for,
    may_import,
)
from apps.core.methods import accepts, post_only
from apps.core.sheets import XLSX_TYPE, Sheet, sheet_export, sheets_xlsx
from apps.core.tabular import FileRefused, file_rows

from .forms import ImportForm
from .kinds import KINDS, ImportKind, instructions
from .models import ImportJob
from .services import (
    import_job_cancel,
    import_job_claim,
    import_job_create,
    import_job_dispatch,
    import_progress,
)
from .tables import added_sheet, changed_sheet, deleted_sheet, jobs_sheet, problems_sheet


def _kind(request: HttpRequest, key: str) -> ImportKind:
    kind = KINDS.get(key)
    if kind is None or not may_import(request.user, key):
        raise Http404(_("No such import."))
    return kind


def _kinds_for(user) -> list[ImportKind]:
    return [k for k in KINDS.values() if may_import(user, k.key)]


def _platforms(user):
    return ingestion_platforms_for(user).order_by("code")


@login_required
def import_index(request: HttpRequest) -> HttpResponse:
    if not may_import(request.user):
        raise Http404
    jobs = jobs_sheet(
        import_jobs_for(request.user).select_related("platform", "created_by", "confirmed_by")[:50]
    )
    export = sheet_export(request, [jobs], "imports")
    if export:
        return export
    return render(
        request,
        "imports/index.html",
        {"kinds": _kinds_for(request.user), "jobs": jobs},
    )


# The institution and regions the kinds' example rows name (the Xinyang demo's),
# replaced in a template by the officer's own: a template never names another region.
EXAMPLE_INSTITUTION = ("41150000001", "信阳市中心医院")
EXAMPLE_REGION = ("411500", "信阳市", "410000")


def _example(spec: ImportKind, user) -> list[str]:
    """The kind's example row, naming the user's own region and institution."""
    swaps: dict[str, str] = {}
    region = user.region if user.role else None
    if region is not None:
        code, name, parent = EXAMPLE_REGION
        swaps.update({code: region.code, name: region.name, parent: region.parent_id or ""})
    own = (
        institutions_for(user)
        .filter(active=True)
        .order_by("region__sort_key", "org_code")
        .values_list("org_code", "name", "region_id")
        .first()
    )
    if own is not None:
        swaps.update({EXAMPLE_INSTITUTION[0]: own[0], EXAMPLE_INSTITUTION[1]: own[1]})
        if spec.key == "institutions":
            swaps[EXAMPLE_REGION[0]] = own[2]
    return [swaps.get(value, value) for value in spec.example]


@login_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """An XLSX to fill in: the Chinese headers the importer reads and one example row."""
    spec = _kind(request, kind)
    headers = [aliases[0] if aliases else name for name, aliases in spec.columns.items()]
    sheet = Sheet(spec.key, str(spec.label), headers, [_example(spec, request.user)])
    notes = Sheet(
        "instructions",
        _("Instructions"),
        [_("Column"), _("Required"), _("What to write")],
        instructions(spec),
    )
    response = HttpResponse(sheets_xlsx([sheet, notes]), content_type=XLSX_TYPE)
    name = quote(_("%(kind)s template.xlsx") % {"kind": spec.label}, safe="")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


def _file_cells(job: ImportJob, numbers: list[int]) -> tuple[list[str], dict]:
    """The file's header and the cells of the rows a preview shows, every column."""
    if not numbers:
        return [], {}
    try:
        return file_rows(bytes(job.content), numbers)
    except FileRefused:
        return [], {}


@login_required
@accepts("POST")
def import_new(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _kind(request, kind)
    platforms = _platforms(request.user)
    # The page that links here may name the platform and phase (the onboarding page).
    initial = {k: request.GET[k] for k in ("platform", "phase") if request.GET.get(k)}
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        kind=spec,
        platforms=platforms,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = import_job_create(
            user=request.user,
            kind=spec.key,
            file_name=upload.name,
            content=upload.read(),
            platform=form.cleaned_data.get("platform"),
            options=form.options(),
        )
        import_job_dispatch(job=job, step="check")
        return redirect("import-detail", pk=job.pk)
    return render(
        request,
        "imports/new.html",
        {"kind": spec, "form": form, "no_platform": spec.needs_platform and not platforms.exists()},
    )


def _job(request: HttpRequest, pk: int) -> ImportJob:
    return get_object_or_404(
        import_jobs_for(request.user).select_related(
            "platform", "created_by", "confirmed_by", "region"
        ),
        pk=pk,
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    shown = job.result if job.state == ImportJob.State.DONE else job.preview
    problems = problems_sheet(job.problems) if job.problems else None
    sections = []
    if shown:
        done = job.state == ImportJob.State.DONE
        header, cells = _file_cells(job, [r["row"] for r in shown["added_rows"] if r["row"]])
        # Each table with how many rows it stands for: a result keeps a sample of each.
        for sheet, total, rows in (
            (
                added_sheet(shown, done=done, header=header, cells=cells),
                shown["created"],
                shown["added_rows"],
            ),
            (changed_sheet(shown, done=done), shown["updated"], shown["changed_rows"]),
            (deleted_sheet(shown, done=done), shown["deleted"], shown["deleted_rows"]),
        ):
            if sheet.rows:
                sections.append({"sheet": sheet, "total": total, "sample": len(rows)})
    sheets = [s["sheet"] for s in sections] + ([problems] if problems else [])
    export = sheet_export(request, sheets, f"import-{job.pk}")
    if export:
        return export
    return render(
        request,
        "imports/detail.html",
        {
            "job": job,
            "kind": KINDS[job.kind],
            "shown": shown,
            "problems": problems,
            "sections": sections,
            "progress": import_progress(job) if job.working else None,
        },
    )


@login_required
@post_only
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if import_job_claim(job=job, user=request.user):
        import_job_dispatch(job=job, step="run")
    else:
        messages.warning(request, _("This file is not waiting for confirmation any more."))
    return redirect("import-detail", pk=job.pk)


@login_required
@post_only
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if import_job_cancel(job=job):
        messages.success(request, _("The import is cancelled; nothing was written."))
    return redirect("import-index")
