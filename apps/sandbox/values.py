"""A record's values as Airtable shows them, keyed by field id."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from .field_types import (
    AUTO_NUMBER,
    CREATED_TIME,
    LAST_MODIFIED_TIME,
    cell_string,
    format_time,
)
from .models import SandboxRecord
from .state import TableState

UTC_ZONE = ZoneInfo("UTC")


def derived_values(record: SandboxRecord, table: TableState) -> dict:
    """The values of autoNumber, createdTime and lastModifiedTime fields."""
    values = {}
    for field in table.fields:
        kind = field["type"]
        if kind == AUTO_NUMBER:
            values[field["id"]] = record.auto_number
        elif kind == CREATED_TIME:
            values[field["id"]] = format_time(record.created_time)
        elif kind == LAST_MODIFIED_TIME:
            values[field["id"]] = format_time(record.last_modified_time)
    return values


def record_values(record: SandboxRecord, table: TableState) -> dict:
    """Stored values plus those derived from the record's columns (autoNumber, times)."""
    return {**record.fields, **derived_values(record, table)}


def primary_text(record: SandboxRecord, table: TableState) -> str:
    """What a link to ``record`` shows: its primary field as text."""
    field = table.primary_field
    value = record_values(record, table).get(field["id"])
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return cell_string(field, value, zone=UTC_ZONE, link_names={})
