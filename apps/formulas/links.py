"""Lookup, rollup and count fields computed locally, for many records at once.

::

    compute_linked_fields(records, field_schemas, fetch_linked) -> {record_id: {field name: value}}

``records``
    the records to compute for, in Airtable's shape: ``{"id": "rec...", "fields": {...}}``.
``field_schemas``
    :class:`LinkedField` descriptions of the lookup, rollup and count fields.
``fetch_linked(table_id, record_ids) -> {record_id: fields}``
    loads linked records; called once per linked table for the whole batch,
    with every id any record links to. Missing ids are treated as deleted.

Values come back in Airtable's JSON shapes (what the API would return), with
empty results omitted like the API does.
"""

from collections import defaultdict
from dataclasses import dataclass

from .evaluator import compiled
from .values import flatten, is_truthy, to_airtable_json

LOOKUP, ROLLUP, COUNT = "multipleLookupValues", "rollup", "count"


@dataclass(frozen=True)
class LinkedField:
    """A computed field over linked records.

    ``type`` is ``multipleLookupValues``, ``rollup`` or ``count``;
    ``link_field`` the name of the ``multipleRecordLinks`` field in this table
    and ``linked_table_id`` the table it points to; ``target_field`` the field
    of the linked table to look up or roll up. ``formula`` is the rollup's
    aggregation formula over ``values`` (Airtable's default is
    ``ARRAYJOIN(values)``); ``condition``, when set, is a formula over the linked
    record that keeps only records for which it is truthy (Airtable's "only
    include linked records that meet conditions").
    """

    name: str
    type: str
    link_field: str
    linked_table_id: str
    target_field: str | None = None
    formula: str = "ARRAYJOIN(values)"
    condition: str | None = None


def compute_linked_fields(records, field_schemas, fetch_linked, *, timezone="UTC", now=None):
    wanted = defaultdict(set)
    for schema in field_schemas:
        for record in records:
            wanted[schema.linked_table_id].update(_linked_ids(record, schema))
    linked = {
        table: (fetch_linked(table, sorted(ids)) if ids else {}) for table, ids in wanted.items()
    }

    results = {}
    for record in records:
        values = {}
        for schema in field_schemas:
            rows = _linked_rows(record, schema, linked[schema.linked_table_id], timezone, now)
            value = _compute(schema, rows, timezone, now)
            if value not in (None, [], ""):
                values[schema.name] = value
        results[record["id"]] = values
    return results


def _linked_ids(record, schema):
    ids = (record.get("fields") or {}).get(schema.link_field) or []
    return [item for item in ids if isinstance(item, str)]


def _linked_rows(record, schema, table, timezone, now):
    rows = [table[record_id] for record_id in _linked_ids(record, schema) if record_id in table]
    if schema.condition:
        condition = compiled(schema.condition)
        rows = [
            row
            for row in rows
            if is_truthy(condition.evaluate(row or {}, timezone=timezone, now=now))
        ]
    return rows


def _compute(schema, rows, timezone, now):
    if schema.type == COUNT:
        return len(rows)
    cells = [(row or {}).get(schema.target_field) for row in rows]
    if schema.type == LOOKUP:
        return [value for value in flatten(cells) if value is not None]
    if schema.type == ROLLUP:
        values = list(flatten(cells))
        result = compiled(schema.formula).evaluate({"values": values}, timezone=timezone, now=now)
        return to_airtable_json(result)
    raise ValueError(f"{schema.name}: unsupported linked field type {schema.type}")
