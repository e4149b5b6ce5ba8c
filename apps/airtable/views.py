"""Server-rendered pages: connections, bases and tables, the records grid, syncs.
htmx swaps the parts that change (a connection's test result, a sync's
progress, the grid) without reloading the page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.decorators import tenant_page
from apps.core.exceptions import ApplicationError

from . import selectors, services
from .forms import ConnectionForm

GRID_PAGE_SIZE = 50
RECENT_JOBS = 10


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _bases_with_jobs() -> list:
    bases = list(selectors.base_list())
    for base in bases:
        base.latest_job = selectors.sync_job_list(base_id=base.base_id).first()
    return bases


@require_GET
@tenant_page
def index(request):
    return render(request, "airtable/index.html", _index_context(request, ConnectionForm()))


def _index_context(request, form) -> dict:
    return {
        "connections": selectors.connection_list(),
        "bases": _bases_with_jobs(),
        "form": form,
        "can_manage": request.membership.can_manage,
        "can_write": request.membership.can_write,
        "sandbox_enabled": settings.SANDBOX_ENABLED,
    }


@require_POST
@tenant_page(manage=True)
def connection_add(request):
    form = ConnectionForm(request.POST)
    if form.is_valid():
        try:
            connection = services.connection_create(created_by_id=request.user.pk,
                                                    **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.detail)
        else:
            if connection.last_test_ok:
                messages.success(request, f"Connected “{connection.name}”.")
            else:
                messages.error(request, f"Saved “{connection.name}”, but Airtable could not be "
                                        f"reached: {connection.last_error}")
            return redirect("airtable-index")
    return render(request, "airtable/index.html", _index_context(request, form), status=400)


@require_POST
@tenant_page(manage=True)
def connection_demo(request):
    endpoint = request.build_absolute_uri("/sandbox/airtable")
    try:
        _demo, jobs = services.connection_demo_create(endpoint_url=endpoint,
                                                      created_by_id=request.user.pk)
    except ApplicationError as error:
        messages.error(request, error.detail)
        return redirect("airtable-index")
    if jobs:
        messages.success(request, "Demo base connected: its first sync is running.")
        return redirect("airtable-base", base_id=jobs[0].base.base_id)
    messages.info(request, "Demo base made: it appears here as soon as the worker reaches it.")
    return redirect("airtable-index")


@require_POST
@tenant_page(manage=True)
def connection_test(request, connection_id: str):
    result = services.connection_test(connection_id=connection_id)
    connection = selectors.connection_get(connection_id=connection_id)
    if _htmx(request):
        return render(request, "airtable/_connection_row.html",
                      {"connection": connection, "result": result, "can_manage": True})
    if result["ok"]:
        messages.success(request, f"“{connection.name}” works: {result['bases']} base(s).")
    else:
        messages.error(request, f"“{connection.name}” failed: {result['detail']}")
    return redirect("airtable-index")


@require_POST
@tenant_page(manage=True)
def connection_remove(request, connection_id: str):
    connection = selectors.connection_get(connection_id=connection_id)
    services.connection_delete(connection_id=connection.pk)
    messages.success(request, f"Removed “{connection.name}” and its mirrored bases.")
    if _htmx(request):
        return HttpResponse(headers={"HX-Refresh": "true"})
    return redirect("airtable-index")


@require_GET
@tenant_page
def base_detail(request, base_id: str):
    base = selectors.base_get(base_id=base_id)
    error = None
    try:
        tables = services.table_list(base_id=base.base_id)
    except ApplicationError as failure:
        tables, error = [], failure.detail
    jobs = list(selectors.sync_job_list(base_id=base.base_id)[:RECENT_JOBS])
    return render(request, "airtable/base_detail.html", {
        "base": base, "tables": tables, "jobs": jobs, "job": jobs[0] if jobs else None,
        "error": error, "can_write": request.membership.can_write,
    })


@require_POST
@tenant_page(write=True)
def base_sync(request, base_id: str):
    full = request.POST.get("full") == "1"
    try:
        job = services.base_sync(base_id=base_id, full=full, trigger="page")
    except ApplicationError as error:
        if _htmx(request):
            return render(request, "airtable/_sync_status.html",
                          {"error": error.detail, "base_id": base_id})
        messages.error(request, error.detail)
        return redirect("airtable-base", base_id=base_id)
    if _htmx(request):
        return render(request, "airtable/_sync_status.html", {"job": job, "base_id": base_id})
    messages.info(request, "Sync queued.")
    return redirect("airtable-base", base_id=base_id)


@require_GET
@tenant_page
def sync_progress(request, job_id: str):
    job = selectors.sync_job_get(job_id=job_id)
    return render(request, "airtable/_sync_status.html",
                  {"job": job, "base_id": job.base.base_id})


@require_GET
@tenant_page
def table_records(request, base_id: str, table: str):
    base = selectors.base_get(base_id=base_id)
    info = services.table_get(base_id=base.base_id, table=table)
    formula = request.GET.get("formula", "").strip()
    sort_field = request.GET.get("sort", "")
    direction = "desc" if request.GET.get("dir") == "desc" else "asc"
    offset = request.GET.get("offset") or None
    names = [field["name"] for field in info["fields"]]
    page, error = {"records": [], "offset": None}, None
    try:
        page = services.record_list(
            base_id=base.base_id, table=info["id"], filter_by_formula=formula or None,
            sort=[{"field": sort_field, "direction": direction}]
            if sort_field in names else None,
            page_size=GRID_PAGE_SIZE, offset=offset)
    except ApplicationError as failure:
        error = failure.detail
    context = {
        "base": base, "table": info, "fields": names, "records": page["records"],
        "columns": {field["name"]: field for field in info["fields"]},
        "link_names": selectors.record_link_names(base_id=base.base_id, table=info["id"],
                                                  records=page["records"]),
        "next_offset": page["offset"], "formula": formula, "sort": sort_field,
        "dir": direction, "error": error, "paged": bool(offset),
        "grid_url": reverse("airtable-table", kwargs={"base_id": base.base_id,
                                                      "table": info["id"]}),
    }
    template = "airtable/_grid.html" if _htmx(request) else "airtable/table.html"
    return render(request, template, context)
