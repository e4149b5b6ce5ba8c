"""Records in the JSON Airtable answers with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from . import ids
from .field_types import cell_string, format_time, is_empty
from .models import SandboxRecord
from .state import BaseState, TableState
from .values import primary_text, record_values

UTC_ZONE = ZoneInfo("UTC")


@dataclass
class Rendering:
    """How to show records: keys by id or name, json or string cells, which fields."""

    by_field_id: bool = False
    cell_format: str = "json"
    zone: ZoneInfo = UTC_ZONE
    fields: list[dict] | None = None
    comment_count: bool = False
    link_names: dict[str, str] = field(default_factory=dict)


def _record_ids_in(value: object) -> Iterable[str]:
    if isinstance(value, str):
        if ids.is_id(value, ids.RECORD):
            yield value
    elif isinstance(value, list):
        for item in value:
            yield from _record_ids_in(item)


def _load_link_names(state: BaseState, records: list[SandboxRecord],
                     fields: list[dict]) -> dict[str, str]:
    wanted = {record_id for record in records for f in fields
              for record_id in _record_ids_in(record.fields.get(f["id"]))}
    names = {}
    for linked in SandboxRecord.objects.filter(table__base=state.base, id__in=wanted):
        names[linked.id] = primary_text(linked, state.tables[linked.table_id])
    return names


def render_records(state: BaseState, table: TableState, records: list[SandboxRecord],
                   rendering: Rendering) -> list[dict]:
    fields = rendering.fields if rendering.fields is not None else table.fields
    if rendering.cell_format == "string":
        rendering.link_names = _load_link_names(state, records, fields)
    return [record_json(record, table, rendering) for record in records]


def record_json(record: SandboxRecord, table: TableState, rendering: Rendering) -> dict:
    values = record_values(record, table)
    shown = {}
    for f in rendering.fields if rendering.fields is not None else table.fields:
        value = values.get(f["id"])
        if is_empty(value):
            continue
        if rendering.cell_format == "string":
            value = cell_string(f, value, zone=rendering.zone, link_names=rendering.link_names)
        shown[f["id"] if rendering.by_field_id else f["name"]] = value
    data = {"id": record.id, "createdTime": format_time(record.created_time), "fields": shown}
    if rendering.comment_count:
        data["commentCount"] = 0
    return data
