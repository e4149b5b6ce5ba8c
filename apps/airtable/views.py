"""Server-rendered pages: connections, bases and tables, the records grid, syncs.
htmx swaps the parts that change (a connection's test result, a sync's
progress, the grid) without reloading the page."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.decorators import tenant_page
from apps.core.exceptions import ApplicationError
from apps.formulas.fieldtypes import CHECKBOX, DATE, LINKS, NUMBER, SELECT, TEXT, field_type

from . import selectors, services
from .exceptions import FormulaInvalid
from .forms import ConnectionForm
from .templatetags.airtable import cell, cell_text

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
    response = render(request, "airtable/_sync_status.html",
                      {"job": job, "base_id": job.base.base_id})
    if _htmx(request) and not job.is_active and request.GET.get("refresh") == "1":
        # The poll of a page showing the base: reload it, so its tables and counts are fresh.
        response["HX-Refresh"] = "true"
    return response


# How the grid edits a field, by the way its type holds values; a field Airtable computes
# (or one of a kind not listed) is shown, not edited, in the grid.
CELL_EDITORS = {TEXT: "text", NUMBER: "number", CHECKBOX: "checkbox", SELECT: "select",
                DATE: "date", LINKS: "links"}


def _editor(field: dict) -> str | None:
    kind = field_type(field["type"])
    if not kind.writable:
        return None
    editor = CELL_EDITORS.get(kind.value)
    if editor == "date" and (field.get("options") or {}).get("timeFormat"):
        return "text"  # a date and time: typed as ISO text, which typecast reads
    return editor


def _grid_query(request) -> dict:
    return {"formula": request.GET.get("formula", "").strip(),
            "sort": request.GET.get("sort", ""),
            "dir": "desc" if request.GET.get("dir") == "desc" else "asc"}


def _columns(info: dict) -> list[dict]:
    return [{**field, "editor": _editor(field),
             "choices": [choice.get("name") for choice in
                         (field.get("options") or {}).get("choices", [])]}
            for field in info["fields"]]


def _sort_of(query: dict, names: list[str]):
    return [{"field": query["sort"], "direction": query["dir"]}] \
        if query["sort"] in names else None


@require_GET
@tenant_page
def table_records(request, base_id: str, table: str):
    base = selectors.base_get(base_id=base_id)
    info = services.table_get(base_id=base.base_id, table=table)
    query = _grid_query(request)
    offset = request.GET.get("offset") or None
    names = [field["name"] for field in info["fields"]]
    page, error, total = {"records": [], "offset": None}, None, None
    try:
        page = services.record_list(
            base_id=base.base_id, table=info["id"], filter_by_formula=query["formula"] or None,
            sort=_sort_of(query, names), page_size=GRID_PAGE_SIZE, offset=offset)
        total = selectors.record_count(base_id=base.base_id, table=info["id"],
                                       filter_by_formula=query["formula"] or None)
    except FormulaInvalid as failure:
        error = f"This formula cannot be read: {failure.errors['filterByFormula'][0]}"
    except ApplicationError as failure:
        error = failure.detail
    start, previous = selectors.record_offset_previous(offset=offset, page_size=GRID_PAGE_SIZE)
    opened = None
    if request.GET.get("open"):
        try:
            opened = services.record_get(base_id=base.base_id, table=info["id"],
                                          record_id=request.GET["open"])
        except ApplicationError:
            opened = None
    grid_url = reverse("airtable-table", kwargs={"base_id": base.base_id, "table": info["id"]})
    context = {
        "base": base, "table": info, "fields": names, "columns": _columns(info),
        "records": page["records"], "next_offset": page["offset"], **query,
        "error": error, "paged": bool(offset), "previous_offset": previous,
        "first_row": start + 1, "last_row": start + len(page["records"]), "total": total,
        "grid_url": grid_url, "can_write": request.membership.can_write, "opened": opened,
        "query_string": urlencode({key: value for key, value in query.items() if value}),
        "layout": services.grid_layout_get(user_id=request.user.pk, base_id=base.base_id,
                                            table_id=info["id"]),
        "link_names": selectors.record_link_names(
            base_id=base.base_id, table=info["id"],
            records=page["records"] + ([opened] if opened else [])),
    }
    template = "airtable/_grid.html" if _htmx(request) else "airtable/table.html"
    return render(request, template, context)


def _back_to_grid(request, base_id: str, table: str, **extra) -> HttpResponse:
    url = reverse("airtable-table", kwargs={"base_id": base_id, "table": table})
    query = {key: value for key, value in _grid_query(request).items() if value}
    query.update(extra)
    return redirect(f"{url}?{urlencode(query)}" if query else url)


@require_POST
@tenant_page
def table_layout(request, base_id: str, table: str):
    """The member's column layout of the table (JSON {hidden, order}: field names)."""
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse({"detail": "Send {\"hidden\": [names], \"order\": [names]}."},
                            status=400)
    try:
        saved = services.grid_layout_save(user_id=request.user.pk, base_id=base_id, table=table,
                                          hidden=payload.get("hidden", []),
                                          order=payload.get("order", []))
    except ApplicationError as error:
        return JsonResponse({"detail": error.detail}, status=error.status)
    return JsonResponse(saved)


@require_GET
@tenant_page
def link_options(request, base_id: str, table: str, field: str):
    """The link picker's choices: records of the field's linked table matching ?q=."""
    try:
        found = services.record_link_options(base_id=base_id, table=table, field=field,
                                              query=request.GET.get("q", ""))
    except ApplicationError as error:
        return JsonResponse({"detail": error.detail}, status=error.status)
    return JsonResponse(found)


@require_POST
@tenant_page(write=True)
def record_cell(request, base_id: str, table: str, record_id: str):
    """One cell changed in the grid (JSON {field, value}); answers the value Airtable kept."""
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("field"), str):
        return JsonResponse({"detail": "Send {\"field\": name, \"value\": value}."},
                            status=400)
    name = payload["field"]
    try:
        updated = services.records_update(
            base_id=base_id, table=table, typecast=True,
            records=[{"id": record_id, "fields": {name: payload.get("value")}}])
    except ApplicationError as error:
        return JsonResponse({"detail": error.detail}, status=error.status)
    info = services.table_get(base_id=base_id, table=table)
    field = next((item for item in info["fields"] if item["name"] == name), None)
    fields = updated[0]["fields"]
    links = selectors.record_link_names(base_id=base_id, table=info["id"], records=updated)
    html = cell(fields, field, links) if field else ""
    return JsonResponse({"value": fields.get(name), "html": str(html)})


@require_POST
@tenant_page(write=True)
def record_create(request, base_id: str, table: str):
    try:
        created = services.records_create(base_id=base_id, table=table,
                                          records=[{}])
    except ApplicationError as error:
        messages.error(request, error.detail)
        return _back_to_grid(request, base_id, table)
    messages.success(request, "Record added: fill it in below.")
    return _back_to_grid(request, base_id, table, open=created[0]["id"])


def _link_ids(raw: str) -> list[str] | None:
    """The record ids a link field's hidden input holds (JSON: a list, or null for none);
    None when it holds anything else, which leaves the field as it is."""
    try:
        value = json.loads(raw or "null")
    except ValueError:
        return None
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


@require_POST
@tenant_page(write=True)
def record_save(request, base_id: str, table: str, record_id: str):
    """The record panel's form: every editable field at once."""
    info = services.table_get(base_id=base_id, table=table)
    fields = {}
    for column in _columns(info):
        if column["editor"] is None:
            continue
        key = f"field-{column['id']}"
        if column["editor"] == "checkbox":
            fields[column["name"]] = key in request.POST
        elif column["editor"] == "links":
            ids = _link_ids(request.POST.get(key, ""))
            if key in request.POST and ids is not None:
                fields[column["name"]] = ids
        elif key in request.POST:
            raw = request.POST[key].strip()
            fields[column["name"]] = raw if raw != "" else None
    try:
        services.records_update(base_id=base_id, table=table, typecast=True,
                                records=[{"id": record_id, "fields": fields}])
    except ApplicationError as error:
        messages.error(request, error.detail)
        return _back_to_grid(request, base_id, table, open=record_id)
    messages.success(request, "Record saved.")
    return _back_to_grid(request, base_id, table, open=record_id)


@require_POST
@tenant_page(write=True)
def record_delete(request, base_id: str, table: str, record_id: str):
    try:
        services.records_delete(base_id=base_id, table=table, record_ids=[record_id])
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Record deleted.")
    return _back_to_grid(request, base_id, table)


EXPORT_PAGE = 100


@require_GET
@tenant_page
def table_export(request, base_id: str, table: str):
    """The records the grid's filter and sort select, as CSV (every page, every field)."""
    base = selectors.base_get(base_id=base_id)
    info = services.table_get(base_id=base.base_id, table=table)
    query = _grid_query(request)
    names = [field["name"] for field in info["fields"]]
    arguments = {"base_id": base.base_id, "table": info["id"],
                 "filter_by_formula": query["formula"] or None,
                 "sort": _sort_of(query, names), "page_size": EXPORT_PAGE}
    first = services.record_list(**arguments)  # a bad formula fails here, before streaming

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush(values) -> str:
            writer.writerow(values)
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        yield flush(["id", *names])
        page = first
        while True:
            links = selectors.record_link_names(base_id=base.base_id, table=info["id"],
                                                records=page["records"])
            for record in page["records"]:
                yield flush([record["id"], *(cell_text(record["fields"], field, links)
                                             for field in info["fields"])])
            if not page["offset"]:
                return
            page = services.record_list(**arguments, offset=page["offset"])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = re.sub(r"[^A-Za-z0-9._-]+", "-", info["name"]).strip("-") or "records"
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
