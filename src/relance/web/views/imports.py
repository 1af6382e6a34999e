"""The import page: a file uploaded (CSV or XLSX, its type read from its content, its size
refused early), its columns mapped (each one's field shown and editable), what is set for
the whole file, a preview of the first rows with their problems, a dry run, then the import
in the background with a polled progress, and the result with the refused rows to download.

Any recruiter of the organisation may import (as with `relance import`): people coming in
is daily recruiting work, and every person created or updated is in the audit log under the
recruiter's name. (Export, people leaving the application, is an administrator's act.)
The rules are in relance/imports; how a run is carried out is in imports/runs.py."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relance import clock
from relance.followups import pipeline
from relance.imports import mapping, reader, runs, service
from relance.imports.models import ImportRun
from relance.people import candidates
from relance.people.models import Job, Organisation, Recruiter, Source
from relance.web import labels, scope

PREVIEW_ROWS = 20
RECENT = 20
TOO_LARGE = "relance_import_too_large"  # request attribute: the size of a refused upload


class ImportUpload(TemporaryFileUploadHandler):
    """The file on disk while it arrives (never in memory), dropped once it passes the import
    limit (RELANCE_IMPORT_MAX_MB, not the CVs' one): the page then says its size."""

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        self.received = 0
        super().new_file(field_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > reader.max_bytes():
            body = int(self.request.META.get("CONTENT_LENGTH") or 0)  # the file's size, near
            setattr(self.request, TOO_LARGE, max(self.received, body))
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)


def _run(request: HttpRequest, pk: int) -> ImportRun:
    return get_object_or_404(
        ImportRun.objects.filter(organisation=scope.organisation(request)).select_related(
            "organisation", "recruiter"
        ),
        pk=pk,
    )


# --- (1) the upload -------------------------------------------------------------------------


@csrf_exempt  # checked by _upload, once the upload handler is the import's own
@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def imports_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        request.upload_handlers = [ImportUpload(request)]
        return _upload(request)
    return _upload_page(request)


def _upload_page(request: HttpRequest, problem: str = "", status: int = 200) -> HttpResponse:
    org = scope.organisation(request)
    recent = ImportRun.objects.filter(organisation=org).select_related("recruiter")
    return render(
        request,
        "web/imports.html",
        {
            "problem": problem,
            "recent": recent.order_by("-created_at", "-pk")[:RECENT],
            "max_mb": reader.max_bytes() // (1024 * 1024),
        },
        status=status,
    )


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponse:
    org = scope.organisation(request)
    now = clock.now()
    upload = request.FILES.get("file")  # the body is read here, by ImportUpload
    refused_size = getattr(request, TOO_LARGE, None)
    try:
        if refused_size is not None:
            reader.check_size(refused_size)
        if upload is None or not upload.size:
            return _upload_page(request, _("Choose a file: a CSV or an Excel file (.xlsx)."), 400)
        reader.check_size(upload.size)
        data = upload.read()
        name = (upload.name or "file")[:255]
        table = reader.read(data, name)
    except reader.ImportProblem as problem:
        return _upload_page(request, str(problem), 400)
    runs.abandon_old(org, now)
    run = ImportRun.objects.create(
        organisation=org,
        recruiter=scope.me(request),
        file_name=name,
        digest=hashlib.sha256(data).hexdigest(),
        reading=runs.reading(table),
        mapping=mapping.suggest(table.header),
        options={"duplicates": "update"},
        total=len(table.rows),
        stored=runs.store(org, data),
        created_at=now,
    )
    return redirect("web:import_run", pk=run.pk)


# --- (2, 3) the mapping, the preview, the dry run --------------------------------------------


@require_http_methods(["GET", "POST"])
@scope.recruiter_page
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    now = clock.now()
    editable = run.status == ImportRun.Status.READY
    if request.method == "POST":
        action = request.POST.get("action", "preview")
        if action == "edit" and run.status == ImportRun.Status.DONE and run.dry_run:
            ImportRun.objects.filter(pk=run.pk, status=run.status).update(
                status=ImportRun.Status.READY
            )
            return redirect("web:import_run", pk=run.pk)
        if action == "import" and run.status == ImportRun.Status.DONE and run.dry_run:
            ImportRun.objects.filter(pk=run.pk, status=run.status).update(
                status=ImportRun.Status.READY
            )
            run.status = ImportRun.Status.READY
            editable = True
        elif not editable:
            return redirect("web:import_run", pk=run.pk)
        else:
            problems = _save_choices(request, run)
            if problems:
                return _mapping_page(request, run, now, problems, status=400)
        if action in ("dry", "import"):
            runs.queue(run, action == "dry", get_language() or "en", now)
        return redirect("web:import_run", pk=run.pk)
    if editable:
        return _mapping_page(request, run, now)
    if run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
        runs.resume_if_stale(run, now)
        return render(request, "web/import_progress.html", {"run": run, "finished": False})
    return render(request, "web/import_result.html", {"run": run})


def _mapping_page(
    request: HttpRequest,
    run: ImportRun,
    now: Any,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    org = run.organisation
    try:
        table = runs.table_of(run)
    except (OSError, reader.ImportProblem):
        runs.discard(run)
        run.delete()
        messages.error(request, _("The uploaded file is no longer there: upload it again."))
        return redirect("web:imports")
    preview = runs.preview(run, table, PREVIEW_ROWS, now)
    samples = [
        next((r.cells[i] for r in table.rows[:5] if i < len(r.cells) and r.cells[i].strip()), "")
        for i in range(len(table.header))
    ]
    columns = [
        {
            "index": i,
            "name": name or f"#{i + 1}",
            "field": run.mapping[i] if i < len(run.mapping) else "",
            "sample": samples[i],
        }
        for i, name in enumerate(table.header)
    ]
    reading = run.reading
    return render(
        request,
        "web/import_mapping.html",
        {
            "run": run,
            "problems": problems or [],
            "columns": columns,
            "fields": [(code, name) for code, name in mapping.FIELDS.items()],
            "layout": mapping.LAYOUT_NAMES.get(reading.get("layout", "generic"), ""),
            "separator": reader.SEPARATOR_NAMES.get(reading.get("separator", ""), ""),
            "preview": preview,
            "sources": labels.SOURCES,
            "stages": {s: labels.STAGES[s] for s in pipeline.ADDABLE},
            "owners": Recruiter.objects.filter(organisation=org, is_active=True).order_by(
                "first_name", "email"
            ),
            "jobs": Job.objects.of(org).filter(status=Job.Status.OPEN).order_by("title")[:500],
            "policies": _policies(),
            "options": run.options,
            "tags": ", ".join(run.options.get("tags", [])),
            "preview_rows": [(o, _actions()[o.action]) for o in preview.outcomes],
        },
        status=status,
    )


def _policies() -> dict[str, str]:
    return {
        "update": _("Update them (fill what the file gives; nothing is blanked)"),
        "skip": _("Skip them"),
        "create": _("Create a new person anyway"),
    }


def _actions() -> dict[str, str]:
    return {
        "created": _("created"),
        "updated": _("updated"),
        "unchanged": _("unchanged"),
        "skipped": _("skipped"),
        "refused": _("refused"),
    }


def _save_choices(request: HttpRequest, run: ImportRun) -> list[str]:
    """The mapping and the whole-file choices from the form, saved when all are right; else
    what is wrong, naming each."""
    org: Organisation = run.organisation
    header = run.reading.get("header", [])
    problems: list[str] = []
    fields: list[str] = []
    for i, name in enumerate(header):
        field = request.POST.get(f"column_{i}", "")
        if field and field not in mapping.FIELDS:
            problems.append(
                _("Column “%(column)s”: “%(value)s” is not a field.")
                % {"column": name, "value": field}
            )
            field = ""
        if field and field in fields:
            problems.append(
                _(
                    "Column “%(column)s”: %(field)s is already given by column “%(other)s”; "
                    "choose one column for it."
                )
                % {
                    "column": name,
                    "field": mapping.FIELDS[field],
                    "other": header[fields.index(field)],
                }
            )
        fields.append(field)
    source = request.POST.get("source", "")
    if source and source not in Source.values:
        problems.append(
            _("Source: expected one of %(choices)s.") % {"choices": ", ".join(Source.values)}
        )
    tags = []
    for raw in request.POST.get("tags", "").split(","):
        if raw.strip():
            try:
                tags.append(candidates.normalise_tag(raw))
            except ValueError as why:
                problems.append(_("Tag “%(tag)s”: %(why)s") % {"tag": raw.strip(), "why": why})
    owner = request.POST.get("owner", "")
    if owner and not Recruiter.objects.filter(organisation=org, pk=_int(owner)).exists():
        problems.append(_("Owner: choose a recruiter of your organisation."))
    job = request.POST.get("job", "")
    if job and not Job.objects.of(org).filter(pk=_int(job)).exists():
        problems.append(_("Job: choose a job of your organisation."))
    stage = request.POST.get("stage", "")
    if stage and stage not in pipeline.ADDABLE:
        problems.append(
            _("Stage: expected one of %(choices)s.") % {"choices": ", ".join(pipeline.ADDABLE)}
        )
    duplicates = request.POST.get("duplicates", "update")
    if duplicates not in service.POLICIES:
        problems.append(
            _("A person already known: expected one of %(choices)s.")
            % {"choices": ", ".join(service.POLICIES)}
        )
    if problems:
        return problems
    run.mapping = fields
    run.options = {
        "source": source,
        "tags": tags,
        "owner": _int(owner) or None,
        "job": _int(job) or None,
        "stage": stage,
        "duplicates": duplicates,
    }
    run.save(update_fields=["mapping", "options"])
    return []


def _int(raw: str) -> int:
    return int(raw) if raw.isdigit() else 0


# --- (4) the progress, (5) the result ---------------------------------------------------------


@require_GET
@scope.recruiter_page
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the page polls (htmx); once finished, the page is reloaded."""
    run = _run(request, pk)
    if runs.resume_if_stale(run, clock.now()):
        run.refresh_from_db()
    finished = run.status not in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING)
    response = render(
        request, "web/partials/import_progress.html", {"run": run, "finished": finished}
    )
    if finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@require_GET
@scope.recruiter_page
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The refused rows, each as it was in the file, with its line and why (CSV)."""
    run = _run(request, pk)
    if not run.refusals:
        raise Http404("nothing refused")
    response = HttpResponse(runs.report(run), content_type="text/csv; charset=utf-8")
    stem = run.file_name.rsplit(".", 1)[0] or "import"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:80]
    response["Content-Disposition"] = f'attachment; filename="{safe}-refused.csv"'
    return response


@require_POST
@scope.recruiter_page
def import_abandon(request: HttpRequest, pk: int) -> HttpResponse:
    """Abandon an upload not yet imported (or a dry run): its file deleted, nothing written."""
    run = _run(request, pk)
    if run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
        messages.error(request, _("This import is under way: it cannot be abandoned now."))
        return redirect("web:import_run", pk=run.pk)
    if not (run.status == ImportRun.Status.READY or run.dry_run):
        return redirect("web:import_run", pk=run.pk)  # done: there is nothing to abandon
    runs.discard(run)
    run.delete()
    messages.success(request, _("Import abandoned: the file was deleted and nothing was written."))
    return redirect("web:imports")
