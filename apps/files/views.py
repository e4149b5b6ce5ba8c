"""Server-rendered pages: the file list, the upload page, a file's detail.

Uploads from the page go to the REST endpoint through static/js/files.js
(progress per file); the form also posts here for browsers without script.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from apps.accounts.decorators import tenant_page
from apps.airtable import selectors as airtable_selectors
from apps.core.exceptions import ApplicationError

from . import selectors, services
from .exceptions import FileNotFound, ImportJobNotFound
from .formats import allowed_formats
from .forms import ImportForm
from .upload_handlers import LimitedUploadHandler, upload_limit_bytes

PAGE_SIZE = 25
TEXT_PREVIEW_CHARS = 20_000
TABLE_PREVIEW_ROWS = 50
SORTS = {"created": "created_at", "-created": "-created_at", "name": "filename",
         "-name": "-filename", "size": "size", "-size": "-size"}


def _file_or_404(file_id):
    try:
        return selectors.file_get(file_id=file_id)
    except FileNotFound:
        raise Http404("No such file.") from None


@tenant_page(write=True)
def file_list(request):
    query = request.GET.get("q", "").strip()[:selectors.MAX_QUERY_CHARS]
    sort = request.GET.get("sort", "-created")
    sort = sort if sort in SORTS else "-created"
    files = selectors.file_list(query=query, ordering=SORTS[sort])
    page = Paginator(files, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "files/list.html", {
        "page": page, "files": page.object_list, "q": query, "sort": sort,
        "can_write": request.membership.can_write,
    })


@tenant_page(write=True)
def file_row(request, file_id):
    return render(request, "files/_row.html", {"file": _file_or_404(file_id)})


def _upload_context() -> dict:
    formats = allowed_formats(settings.ALLOWED_EXTENSIONS)
    return {
        "accept": ",".join(f".{ext}" for ext in formats),
        "allowed": ", ".join(f".{ext}" for ext in formats),
        "max_bytes": upload_limit_bytes(),
        "max_mb": settings.MAX_UPLOAD_MB,
    }


@csrf_exempt
@tenant_page(write=True)
def upload(request):
    if request.method == "POST":
        # The size limit must be in place before anything reads the body, the
        # CSRF check included, so the body is read here and the check follows.
        request.upload_handlers = [LimitedUploadHandler(request)]
        try:
            request.POST  # noqa: B018 - reads the multipart body under the limit
        except ApplicationError as error:
            # Nothing was stored, and a body that was not read holds no CSRF token.
            messages.error(request, error.detail)
            return redirect("files-upload")
    return _upload(request)


@csrf_protect
def _upload(request):
    if request.method == "POST":
        uploads = request.FILES.getlist("file")
        if not uploads:
            messages.error(request, "Choose a file to upload.")
        for uploaded in uploads:
            try:
                file, duplicate = services.file_upload(uploaded=uploaded,
                                                       user_id=request.user.pk)
            except ApplicationError as error:
                messages.error(request, f"{uploaded.name}: {error.detail}")
                continue
            if duplicate:
                messages.info(request, f"{file.filename} was already uploaded.")
            else:
                messages.success(request, f"{file.filename} uploaded.")
        return redirect("files-list")
    return render(request, "files/upload.html", _upload_context())


def _import_targets() -> list[tuple[str, list]]:
    """The tables of the team's connected bases, grouped by base, as the import form offers
    them (a base whose tables were never read is left out until its first sync)."""
    groups = []
    for base in airtable_selectors.base_list():
        try:
            tables = airtable_selectors.table_list(base_id=base.base_id)
        except ApplicationError:
            continue
        groups.append((base.name or base.base_id, [
            (f"{base.base_id}/{table['id']}", table["name"]) for table in tables]))
    return groups


def _detail_context(request, file) -> dict:
    content = None
    if file.status == file.Status.PROCESSED:
        content = selectors.file_content_get(file_id=file.pk, max_chars=TEXT_PREVIEW_CHARS,
                                             max_rows=TABLE_PREVIEW_ROWS)
    sheets = [table["name"] for table in content["tables"]] if content else []
    return {
        "file": file,
        "content": content,
        "preview_chars": TEXT_PREVIEW_CHARS,
        "preview_rows": TABLE_PREVIEW_ROWS,
        "form": ImportForm(sheets=sheets, targets=_import_targets()),
        "jobs": selectors.import_job_list(file=file)[:10],
        "can_write": request.membership.can_write,
    }


@tenant_page(write=True)
def detail(request, file_id):
    file = _file_or_404(file_id)
    return render(request, "files/detail.html", _detail_context(request, file))


@tenant_page(write=True)
def status(request, file_id):
    file = _file_or_404(file_id)
    response = render(request, "files/_status.html", {"file": file})
    if not file.is_busy:
        # Processing ended: reload the page to show the content and import form.
        response["HX-Refresh"] = "true"
    return response


@tenant_page(write=True)
@require_POST
def import_start(request, file_id):
    file = _file_or_404(file_id)
    sheets = selectors.file_table_names(file=file)
    form = ImportForm(request.POST, sheets=sheets, targets=_import_targets())
    if form.is_valid():
        try:
            services.import_start(file_id=file.pk, user_id=request.user.pk,
                                  **form.cleaned_data)
            messages.success(request, "Import started.")
            return redirect("files-detail", file_id=file.pk)
        except ApplicationError as error:
            form.add_error(None, error.detail)
            for field, problems in (error.errors or {}).items():
                form.add_error(field if field in form.fields else None, problems)
    context = _detail_context(request, file)
    context["form"] = form
    return render(request, "files/detail.html", context, status=400)


@tenant_page(write=True)
def import_job(request, job_id):
    try:
        job = selectors.import_job_get(job_id=job_id)
    except ImportJobNotFound:
        raise Http404("No such import.") from None
    return render(request, "files/_job.html", {"job": job})


@tenant_page(write=True)
@require_POST
def delete(request, file_id):
    file = _file_or_404(file_id)
    services.file_delete(file_id=file.pk)
    messages.success(request, f"{file.filename} deleted.")
    return redirect("files-list")


@tenant_page(write=True)
@require_POST
def retry(request, file_id):
    file = _file_or_404(file_id)
    try:
        services.file_extraction_retry(file_id=file.pk)
        messages.info(request, "Extraction queued again.")
    except ApplicationError as error:
        messages.error(request, error.detail)
    return redirect(reverse("files-detail", kwargs={"file_id": file.pk}))
