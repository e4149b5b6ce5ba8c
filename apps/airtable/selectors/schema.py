"""Bases, tables and fields as the mirror knows them, through the schema cache."""

from __future__ import annotations

from apps.formulas import FieldSpec
from apps.formulas.fieldtypes import LINKS, RESULT, field_type, shown_type
from apps.formulas.sql import LinkTarget

from .. import schema_cache
from ..exceptions import BaseNotFound, SchemaNotLoaded, TableNotFound
from ..limits import BASE_ID
from ..models import Base, Record, Table

RECORD_TABLE = Record._meta.db_table



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
             "options": field.options, "description": field.description,
             "observed_type": field.observed_type}
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


def _primary_spec(table: dict) -> FieldSpec | None:
    for field in table["fields"]:
        if field["id"] == table["primary_field_id"]:
            return _spec(field, None)
    return None


def _spec(field: dict, schema: dict | None) -> FieldSpec:
    kind = field_type(field["type"])
    options = field["options"]
    observed = field.get("observed_type")
    if kind.value == RESULT and observed:
        declared, _declared_options = shown_type(field["type"], options)
        if field_type(declared).value != field_type(observed).value:
            # The values disagree with the declared type (a formula edited in Airtable
            # after its values were read): compile by what the values are.
            options = {**(options or {}), "result": {"type": observed}}
    link = None
    if kind.value == LINKS and schema is not None:
        linked_id = (options or {}).get("linkedTableId")
        linked = next((item for item in schema["tables"] if item["id"] == linked_id), None)
        primary = _primary_spec(linked) if linked is not None else None
        if primary is not None:
            link = LinkTarget(table=RECORD_TABLE, scope=linked["pk"], primary=primary)
    return FieldSpec(field["name"], field["type"], options, link=link)


def field_map(table: dict, schema: dict | None = None) -> dict[str, FieldSpec]:
    """{field name: FieldSpec}; with the base's ``schema``, link fields know where their
    linked records are in the mirror, so formulas see the linked records' primary values."""
    return {field["name"]: _spec(field, schema) for field in table["fields"]}


def linked_tables(schema: dict, fmap: dict[str, FieldSpec], names) -> dict[str, dict]:
    """{link field name: linked table info} of the link fields among ``names``."""
    found = {}
    for name in names:
        spec = fmap.get(name)
        if spec is not None and spec.link is not None:
            found[name] = next(item for item in schema["tables"] if item["pk"] == spec.link.scope)
    return found


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
