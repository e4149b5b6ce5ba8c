"""Reads: tokens, bases, schemas and records (listing with filters, sorts and pages)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from apps.formulas import FormulaError, evaluate, is_truthy, parse

from . import formula_text, ids, iterators
from .exceptions import (
    InvalidFilterByFormula,
    InvalidOffset,
    InvalidRequest,
    ModelNotFound,
    RecordNotFound,
    UnknownFieldName,
    ViewNotFound,
)
from .field_types import LINK, sort_key, zone_named
from .models import SandboxBase, SandboxRecord, SandboxToken
from .rendering import Rendering, record_json, render_records
from .state import BaseState, TableState, base_state_load
from .values import primary_text, record_values

PAGE_SIZE = 100
MAX_FORMULA = 50_000
SCOPES = ["data.records:read", "data.records:write", "schema.bases:read", "schema.bases:write"]
BASES_PAGE = 1000


def token_authenticate(raw: str | None) -> SandboxToken | None:
    if not raw or not ids.TOKEN_PATTERN.fullmatch(raw):
        return None
    return SandboxToken.objects.filter(token_hash=ids.token_digest(raw)).first()


def whoami(*, token: SandboxToken) -> dict:
    return {"id": token.user_id, "scopes": SCOPES}


def bases_list(*, token: SandboxToken, offset: str | None) -> dict:
    bases = SandboxBase.objects.filter(token=token).order_by("created_at", "id")
    if offset is not None:
        after = SandboxBase.objects.filter(token=token, id=offset).first()
        if after is None:
            raise InvalidOffset(f"The value of offset {offset[:60]!r} is invalid")
        bases = bases.filter(created_at__gte=after.created_at).exclude(id=after.id) \
            .exclude(created_at=after.created_at, id__lt=after.id)
    page = list(bases[:BASES_PAGE + 1])
    data = {"bases": [{"id": base.id, "name": base.name, "permissionLevel": "create"}
                      for base in page[:BASES_PAGE]]}
    if len(page) > BASES_PAGE:
        data["offset"] = page[BASES_PAGE - 1].id
    return data


def base_state(*, token: SandboxToken, base_id: str) -> BaseState:
    base = SandboxBase.objects.filter(pk=base_id, token=token).first() \
        if ids.is_id(base_id, ids.BASE) else None
    if base is None:
        raise ModelNotFound()
    return base_state_load(base)


def base_schema(*, token: SandboxToken, base_id: str, visible_field_ids: bool = False) -> dict:
    state = base_state(token=token, base_id=base_id)
    return {"tables": [table.schema_json(visible_field_ids=visible_field_ids)
                       for table in state.tables.values()]}


@dataclass
class ListQuery:
    """The parameters of a listing, as both GET and POST listRecords take them."""

    page_size: int = PAGE_SIZE
    max_records: int | None = None
    offset: str | None = None
    fields: list[str] | None = None
    sort: list[tuple[str, bool]] = field(default_factory=list)
    formula: str = ""
    view: str | None = None
    cell_format: str = "json"
    time_zone: str | None = None
    user_locale: str | None = None
    by_field_id: bool = False
    comment_count: bool = False


def _table(state: BaseState, table_key: str) -> TableState:
    table = state.table(table_key)
    if table is None:
        raise ModelNotFound()
    return table


def _field(table: TableState, key: str) -> dict:
    found = table.field(key)
    if found is None:
        raise UnknownFieldName(f'Unknown field name: "{key[:200]}"')
    return found


def _rendering(table: TableState, query: ListQuery) -> Rendering:
    zone = ZoneInfo("UTC")
    if query.cell_format == "string":
        if not query.time_zone or not query.user_locale:
            raise InvalidRequest("Invalid request: cellFormat string needs timeZone and "
                                 "userLocale")
    if query.time_zone in ("utc", "client"):
        # Airtable's own names: UTC, and the zone of the client (which an API call has not).
        zone = ZoneInfo("UTC")
    elif query.time_zone:
        zone = zone_named(query.time_zone)
        if zone is None:
            raise InvalidRequest(f"Invalid request: unknown timeZone "
                                 f"{query.time_zone[:60]!r}")
    fields = None
    if query.fields is not None:
        fields = list({f["id"]: f for f in (_field(table, key) for key in query.fields)}
                      .values())
    return Rendering(by_field_id=query.by_field_id, cell_format=query.cell_format, zone=zone,
                     fields=fields, comment_count=query.comment_count)


def _check_view(table: TableState, view: str | None) -> None:
    if view is None:
        return
    if not any(view in (item["id"], item["name"]) for item in table.row.views):
        raise ViewNotFound(f'Could not find view "{view[:100]}" in table "{table.name}"')


def _names_for(state: BaseState, table: TableState, link_fields: list[dict],
               records: list[SandboxRecord]) -> dict[str, str]:
    """Primary texts of the records linked from ``records`` through ``link_fields``."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for link in link_fields:
        for record in records:
            wanted[link["options"]["linkedTableId"]].update(record.fields.get(link["id"]) or ())
    names = {}
    for table_id, record_ids in wanted.items():
        linked_table = state.tables[table_id]
        for linked in SandboxRecord.objects.filter(table_id=table_id, id__in=record_ids):
            names[linked.id] = primary_text(linked, linked_table)
    return names


def _parse_filter(table: TableState, formula: str):
    if len(formula) > MAX_FORMULA:
        raise InvalidFilterByFormula("The formula for filtering records is invalid: "
                                     "it is too long")
    # Fields may be named by id, {fldXXXXXXXXXXXXXX}, as Airtable accepts.
    formula = formula_text.rewrite(
        formula, lambda key: table.by_id[key]["name"] if key in table.by_id else key)
    try:
        return parse(formula, fields=[f["name"] for f in table.fields])
    except (FormulaError, RecursionError) as error:
        message = getattr(error, "message", None) or "please check your formula text"
        raise InvalidFilterByFormula(
            f"The formula for filtering records is invalid: {message}") from None


def _matches(parsed, values: dict, record: SandboxRecord) -> bool:
    try:
        return is_truthy(evaluate(parsed, values, record_id=record.id,
                                  created_time=record.created_time,
                                  last_modified_time=record.last_modified_time))
    except (FormulaError, ArithmeticError, ValueError, TypeError, RecursionError, OSError):
        return False


def _ordered_ids(state: BaseState, table: TableState, query: ListQuery,
                 loaded: dict[str, SandboxRecord]) -> list[str]:
    """The ids of every matching record, in the order of the listing."""
    sorts = [(_field(table, key), descending) for key, descending in query.sort]
    parsed = _parse_filter(table, query.formula) if query.formula.strip() else None
    rows = SandboxRecord.objects.filter(table_id=table.id).order_by("auto_number")
    if parsed is None and not sorts:
        return list(rows.values_list("id", flat=True)[:query.max_records])
    records = list(rows)
    loaded.update((record.id, record) for record in records)

    by_name = {f["name"]: f for f in table.fields}
    formula_fields = [by_name[name] for name in parsed.field_names] if parsed else []
    link_fields = {f["id"]: f for f in formula_fields + [f for f, _ in sorts]
                   if f["type"] == LINK}
    names = _names_for(state, table, list(link_fields.values()), records) if link_fields else {}

    def shown(values: dict, f: dict) -> object:
        value = values.get(f["id"])
        if f["id"] in link_fields and value:
            return [names.get(item, "") for item in value]
        return value

    if parsed is not None:
        kept = []
        for record in records:
            values = record_values(record, table)
            if _matches(parsed, {f["name"]: shown(values, f) for f in formula_fields}, record):
                kept.append(record)
        records = kept
    for sort_field, descending in reversed(sorts):
        records.sort(key=lambda record, f=sort_field: sort_key(
            f, shown(record_values(record, table), f)), reverse=descending)
    if query.max_records is not None:
        records = records[:query.max_records]
    return [record.id for record in records]


def records_list(*, token: SandboxToken, base_id: str, table_key: str,
                 query: ListQuery) -> dict:
    state = base_state(token=token, base_id=base_id)
    table = _table(state, table_key)
    rendering = _rendering(table, query)
    _check_view(table, query.view)
    loaded: dict[str, SandboxRecord] = {}
    if query.offset:
        page_ids, offset = iterators.iterator_page(table_id=table.id, offset=query.offset,
                                                   size=query.page_size)
    else:
        ordered = _ordered_ids(state, table, query, loaded)
        page_ids, offset = ordered[:query.page_size], None
        if len(ordered) > query.page_size:
            offset = iterators.iterator_start(table_id=table.id, record_ids=ordered,
                                              first=query.page_size)
    missing = [record_id for record_id in page_ids if record_id not in loaded]
    if missing:
        loaded.update((record.id, record) for record in
                      SandboxRecord.objects.filter(table_id=table.id, id__in=missing))
    records = [loaded[record_id] for record_id in page_ids if record_id in loaded]
    data = {"records": render_records(state, table, records, rendering)}
    if offset:
        data["offset"] = offset
    return data


def record_get(*, token: SandboxToken, base_id: str, table_key: str, record_id: str,
               query: ListQuery) -> dict:
    state = base_state(token=token, base_id=base_id)
    table = _table(state, table_key)
    rendering = _rendering(table, query)
    record = SandboxRecord.objects.filter(table_id=table.id, id=record_id).first() \
        if ids.is_id(record_id, ids.RECORD) else None
    if record is None:
        raise RecordNotFound(f"Could not find record {record_id[:40]}")
    return render_records(state, table, [record], rendering)[0]


def records_rendered(table: TableState, records: list[SandboxRecord], *,
                     by_field_id: bool) -> list[dict]:
    """Records just written, as the write endpoints answer them."""
    rendering = Rendering(by_field_id=by_field_id)
    return [record_json(record, table, rendering) for record in records]
