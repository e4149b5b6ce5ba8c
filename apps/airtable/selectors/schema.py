"""Bases, tables and fields as the mirror knows them, through the schema cache."""

from __future__ import annotations

import re

from apps.formulas import FieldSpec

from .. import schema_cache
from ..exceptions import BaseNotFound, SchemaNotLoaded, TableNotFound
from ..models import Base, Table

BASE_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def _table_json(table: Table) -> dict:
    return {
        "pk": table.pk,
        "id": table.table_id,
        "name": table.name,
        "description": table.description,
        "primary_field_id": table.primary_field_id,
        "last_synced_at": table.last_synced_at,
        "last_full_synced_at": table.last_full_synced_at,
        "record_count": table.record_count,
        "fields": [
            {"id": field.field_id, "name": field.name, "type": field.type,
             "options": field.options, "description": field.description}
            for field in table.fields.all()
        ],
    }


def _load(base_id: str) -> dict | None:
    base = Base.objects.filter(base_id=base_id).first()
    if base is None:
        return None
    if base.schema_synced_at is None:
        raise SchemaNotLoaded("The base's tables are being read; ask again in a moment.",
                              base=base)
    tables = Table.objects.filter(base=base).prefetch_related("fields").order_by("position", "id")
    return {
        "base": {"pk": base.pk, "id": base.base_id, "name": base.name,
                 "connection_id": base.connection_id,
                 "last_synced_at": base.last_synced_at},
        "tables": [_table_json(table) for table in tables],
    }


def base_schema(base_id) -> dict:
    """{"base": {...}, "tables": [{pk, id, name, primary_field_id, last_synced_at, fields}]}"""
    if not isinstance(base_id, str) or not BASE_ID.match(base_id):
        raise BaseNotFound("There is no such base.")
    schema = schema_cache.base_schema_get(base_id, lambda: _load(base_id))
    if schema is None:
        raise BaseNotFound("No connection of this team can see this base.")
    return schema


def table_info(schema: dict, table) -> dict:
    """A table of the base by id or (exact) name, as Airtable resolves them."""
    if isinstance(table, str):
        for item in schema["tables"]:
            if item["id"] == table:
                return item
        for item in schema["tables"]:
            if item["name"] == table:
                return item
    raise TableNotFound(f"Base {schema['base']['id']} has no table {str(table)[:200]!r}.")


def field_map(table: dict) -> dict[str, FieldSpec]:
    return {field["name"]: FieldSpec(field["name"], field["type"], field["options"])
            for field in table["fields"]}


def field_name(table: dict, key) -> str | None:
    """A field's name from its id or name."""
    if not isinstance(key, str):
        return None
    for field in table["fields"]:
        if field["id"] == key:
            return field["name"]
    for field in table["fields"]:
        if field["name"] == key:
            return field["name"]
    return None
