"""The Airtable Web API v0, served by plain Django views.

They stay outside DRF on purpose: no platform authentication, tenant checks
or problem+json. A request carries a sandbox token (`Authorization: Bearer
pat…`); errors come back in Airtable's own bodies. The tenant middleware that
runs before them fails to read such a token as a JWT, which only leaves an
invalid `request.credential` that these views never look at.
"""

from __future__ import annotations

import functools
import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .. import selectors, services
from ..exceptions import (
    AuthenticationRequired,
    InvalidRequest,
    RequestTooLarge,
    RouteNotFound,
    SandboxError,
)
from ..limits import failure_maybe, rate_limit
from ..selectors import records_rendered
from ..state import field_json
from . import params

MAX_BODY_BYTES = 5 * 1024 * 1024
DELETED_KEYS = ("records[]", "records")


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _bearer(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _body(request) -> dict:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise RequestTooLarge()
    raw = request.body
    if len(raw) > MAX_BODY_BYTES:
        raise RequestTooLarge()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
        # PostgreSQL's JSON takes neither NUL characters nor lone UTF-16 surrogates.
        json.dumps(data, ensure_ascii=False).encode()
    except (ValueError, RecursionError):
        raise InvalidRequest("Invalid request: the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("Invalid request: the body must be a JSON object")
    if _holds_nul(data):
        raise InvalidRequest("Invalid request: text may not contain NUL characters")
    return data


def _holds_nul(data: object) -> bool:
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def airtable_endpoint(*methods: str):
    """Token check, rate limits, injected failures and Airtable's error bodies for a view."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def endpoint(request, **kwargs):
            try:
                failure_maybe()
                token = selectors.token_authenticate(_bearer(request))
                if token is None:
                    raise AuthenticationRequired()
                if request.method not in methods:
                    raise RouteNotFound()
                rate_limit(token_id=token.pk, base_id=kwargs.get("base_id"))
                data = view(request, token, **kwargs)
            except SandboxError as error:
                return _json(error.body(), error.status)
            return _json(data)

        return endpoint

    return decorate


@csrf_exempt
def not_found(request, *args, **kwargs):
    return _json(RouteNotFound().body(), RouteNotFound.status)


# --- meta ------------------------------------------------------------------------------


@airtable_endpoint("GET")
def whoami(request, token):
    return selectors.whoami(token=token)


@airtable_endpoint("GET", "POST")
def bases(request, token):
    if request.method == "GET":
        return selectors.bases_list(token=token, offset=request.GET.get("offset"))
    body = params.only(_body(request), {"name", "workspaceId", "tables"})
    state = services.base_create(token=token, name=body.get("name"),
                                 tables=body.get("tables"), workspace_id=body.get("workspaceId"))
    return {"id": state.base.id,
            "tables": [table.schema_json() for table in state.tables.values()]}


@airtable_endpoint("GET", "POST")
def base_tables(request, token, base_id):
    if request.method == "GET":
        include = request.GET.getlist("include") + request.GET.getlist("include[]")
        return selectors.base_schema(token=token, base_id=base_id,
                                     visible_field_ids="visibleFieldIds" in include)
    table = services.table_create(token=token, base_id=base_id, spec=_body(request))
    return table.schema_json()


@airtable_endpoint("PATCH")
def table_item(request, token, base_id, table_key):
    table = services.table_update(token=token, base_id=base_id, table_key=table_key,
                                  data=_body(request))
    return table.schema_json()


@airtable_endpoint("POST")
def table_fields(request, token, base_id, table_key):
    field = services.field_create(token=token, base_id=base_id, table_key=table_key,
                                  spec=_body(request))
    return field_json(field)


@airtable_endpoint("PATCH")
def field_item(request, token, base_id, table_key, field_id):
    return services.field_update(token=token, base_id=base_id, table_key=table_key,
                                 field_id=field_id, data=_body(request))


# --- records ---------------------------------------------------------------------------


def _records_of(body: dict, *, with_ids: bool) -> list:
    records = body.get("records")
    if not isinstance(records, list):
        raise InvalidRequest("Invalid request: records must be a list")
    allowed = {"id", "fields"} if with_ids else {"fields"}
    for record in records:
        if not isinstance(record, dict):
            raise InvalidRequest("Invalid request: each record must be an object")
        params.only(record, allowed)
    return records


def _create(request, token, base_id, table_key):
    body = params.only(_body(request), {"fields", "records", "typecast",
                                        "returnFieldsByFieldId"})
    typecast, by_id = params.flag(body, "typecast"), params.flag(body, "returnFieldsByFieldId")
    if "records" in body:
        items = [record.get("fields", {}) for record in _records_of(body, with_ids=False)]
    elif "fields" in body:
        items = [body["fields"]]
    else:
        raise InvalidRequest("Invalid request: give fields or records")
    table, records = services.records_create(token=token, base_id=base_id, table_key=table_key,
                                             items=items, typecast=typecast)
    rendered = records_rendered(table, records, by_field_id=by_id)
    return {"records": rendered} if "records" in body else rendered[0]


def _update_many(request, token, base_id, table_key):
    body = params.only(_body(request), {"records", "typecast", "returnFieldsByFieldId",
                                        "performUpsert"})
    typecast, by_id = params.flag(body, "typecast"), params.flag(body, "returnFieldsByFieldId")
    replace = request.method == "PUT"
    records = _records_of(body, with_ids=True)
    upsert = body.get("performUpsert")
    if upsert is not None:
        if not isinstance(upsert, dict):
            raise InvalidRequest("Invalid request: performUpsert must be an object")
        params.only(upsert, {"fieldsToMergeOn"})
        table, written, created, updated = services.records_upsert(
            token=token, base_id=base_id, table_key=table_key, items=records,
            merge_on=upsert.get("fieldsToMergeOn"), typecast=typecast, replace=replace)
        return {"records": records_rendered(table, written, by_field_id=by_id),
                "createdRecords": created, "updatedRecords": updated}
    items = []
    for record in records:
        if "id" not in record:
            raise InvalidRequest("Invalid request: each record needs an id (or use "
                                 "performUpsert)")
        items.append((record["id"], record.get("fields", {})))
    table, written = services.records_update(token=token, base_id=base_id, table_key=table_key,
                                             items=items, typecast=typecast, replace=replace)
    return {"records": records_rendered(table, written, by_field_id=by_id)}


@airtable_endpoint("GET", "POST", "PATCH", "PUT", "DELETE")
def table_records(request, token, base_id, table_key):
    if request.method == "GET":
        return selectors.records_list(token=token, base_id=base_id, table_key=table_key,
                                      query=params.list_query_from_get(request.GET))
    if request.method == "POST":
        return _create(request, token, base_id, table_key)
    if request.method in ("PATCH", "PUT"):
        return _update_many(request, token, base_id, table_key)
    record_ids = [value for key in DELETED_KEYS for value in request.GET.getlist(key)]
    deleted = services.records_delete(token=token, base_id=base_id, table_key=table_key,
                                      record_ids=record_ids)
    return {"records": [{"id": record_id, "deleted": True} for record_id in deleted]}


@airtable_endpoint("GET", "POST", "PATCH", "PUT", "DELETE")
def record_item(request, token, base_id, table_key, item):
    if item == "listRecords" and request.method == "POST":
        query = params.list_query_from_body(_body(request), request.GET)
        return selectors.records_list(token=token, base_id=base_id, table_key=table_key,
                                      query=query)
    if request.method == "GET":
        return selectors.record_get(token=token, base_id=base_id, table_key=table_key,
                                    record_id=item,
                                    query=params.record_query_from_get(request.GET))
    if request.method == "POST":
        raise RouteNotFound()
    if request.method == "DELETE":
        services.records_delete(token=token, base_id=base_id, table_key=table_key,
                                record_ids=[item])
        return {"id": item, "deleted": True}
    body = params.only(_body(request), {"fields", "typecast", "returnFieldsByFieldId"})
    table, written = services.records_update(
        token=token, base_id=base_id, table_key=table_key,
        items=[(item, body.get("fields", {}))], typecast=params.flag(body, "typecast"),
        replace=request.method == "PUT")
    return records_rendered(table, written,
                            by_field_id=params.flag(body, "returnFieldsByFieldId"))[0]
