"""A record's values as Airtable shows them, keyed by field id."""

from __future__ import annotations

from apps.formulas.fieldtypes import primary_text as primary_text_of

from .field_types import (
    AUTO_NUMBER,
    CREATED_TIME,
    LAST_MODIFIED_TIME,
    format_time,
)
from .models import SandboxRecord
from .state import TableState


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
    return primary_text_of(field["type"], field.get("options"), value)
