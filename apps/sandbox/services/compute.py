"""Computed fields: formulas, lookups, rollups and counts, kept current on every write.

A write recomputes the records it changed, then follows links to the records
that look them up, roll them up or count them, and so on while values keep
changing (bounded, for cyclic lookups). Formulas within a table run in
dependency order; a formula reads a linked-record field as the linked
records' primary values, as in Airtable.
"""

from __future__ import annotations

from collections import defaultdict
from graphlib import TopologicalSorter

from apps.formulas import (
    FormulaError,
    LinkedField,
    compute_linked_fields,
    evaluate,
    to_airtable_json,
)
from apps.formulas.fieldtypes import field_type

from ..field_types import FORMULA, LINK, is_empty
from ..models import SandboxRecord
from ..state import TableState
from ..values import derived_values, primary_text, record_values
from .work import Work

MAX_ROUNDS = 8
DEFAULT_ROLLUP = "ARRAYJOIN(values)"


def formula_order(table: TableState) -> list[dict]:
    """The table's formula fields, each after the formulas it reads."""
    formulas = {field["id"]: field for field in table.fields_of_type(FORMULA)}
    graph = {field_id: [ref for ref in field["options"].get("referencedFieldIds") or ()
                        if ref in formulas]
             for field_id, field in formulas.items()}
    return [formulas[field_id] for field_id in TopologicalSorter(graph).static_order()]


def linked_specs(table: TableState) -> list[LinkedField]:
    specs = []
    for field in table.fields:
        if not field_type(field["type"]).linked:
            continue
        options = field["options"]
        link = table.by_id.get(options.get("recordLinkFieldId"))
        if link is None or link["type"] != LINK:
            continue
        specs.append(LinkedField(
            name=field["id"], type=field["type"], link_field=link["id"],
            linked_table_id=link["options"]["linkedTableId"],
            target_field=options.get("fieldIdInLinkedTable"),
            formula=options.get("formula") or DEFAULT_ROLLUP))
    return specs


def _evaluate(field: dict, values: dict, record: SandboxRecord):
    try:
        return evaluate(field["options"]["formula"], values, record_id=record.id,
                        created_time=record.created_time,
                        last_modified_time=record.last_modified_time)
    except (FormulaError, ArithmeticError, ValueError, TypeError, RecursionError, OSError):
        return {"error": "#ERROR!"}


def link_names(work: Work, table: TableState, link_field_ids: list[str],
               records: list[SandboxRecord]) -> dict[str, str]:
    """{record id: primary text} of every record linked from ``records`` through the fields."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for field_id in link_field_ids:
        linked_table = table.by_id[field_id]["options"]["linkedTableId"]
        for record in records:
            wanted[linked_table].update(record.fields.get(field_id) or ())
    names = {}
    for table_id, record_ids in wanted.items():
        linked_table = work.state.tables[table_id]
        for record_id, record in work.load(table_id, record_ids).items():
            names[record_id] = primary_text(record, linked_table)
    return names


def compute_records(work: Work, table: TableState, records: list[SandboxRecord]) -> list:
    """Refresh the stored computed values of ``records``; the ones that changed."""
    specs = linked_specs(table)
    formulas = formula_order(table)
    if not records or (not specs and not formulas):
        return []

    def fetch_linked(table_id: str, record_ids: list[str]) -> dict:
        linked_table = work.state.tables[table_id]
        return {record_id: record_values(record, linked_table)
                for record_id, record in work.load(table_id, record_ids).items()}

    linked = compute_linked_fields([{"id": record.id, "fields": record.fields}
                                    for record in records], specs, fetch_linked) if specs else {}
    referenced_links = sorted({ref for field in formulas
                               for ref in field["options"].get("referencedFieldIds") or ()
                               if table.by_id.get(ref, {}).get("type") == LINK})
    names = link_names(work, table, referenced_links, records) if referenced_links else {}

    changed = []
    for record in records:
        fields = dict(record.fields)
        for spec in specs:
            value = linked.get(record.id, {}).get(spec.name)
            _put(fields, spec.name, value)
        if formulas:
            values = {**fields, **derived_values(record, table)}
            for field_id in referenced_links:
                values[field_id] = [names.get(item, "") for item in fields.get(field_id) or ()]
            for field in formulas:
                raw = _evaluate(field, values, record)
                values[field["id"]] = raw
                _put(fields, field["id"], to_airtable_json(raw))
        if fields != record.fields:
            record.fields = fields
            work.mark_computed(record)
            changed.append(record)
    return changed


def _put(fields: dict, field_id: str, value: object) -> None:
    if is_empty(value):
        fields.pop(field_id, None)
    else:
        fields[field_id] = value


def recompute(work: Work, seeds: dict[str, set[str]]) -> None:
    """Recompute from the records in ``seeds`` outwards along links."""
    pending = seeds
    for round_number in range(MAX_ROUNDS):
        if not pending:
            return
        following: dict[str, set[str]] = defaultdict(set)
        for table_id, record_ids in pending.items():
            table = work.state.tables[table_id]
            records = list(work.load(table_id, record_ids).values())
            changed = compute_records(work, table, records)
            sources = records if round_number == 0 else changed
            _follow_links(work, table, sources, following)
        pending = following


def _follow_links(work: Work, table: TableState, sources: list[SandboxRecord],
                  following: dict[str, set[str]]) -> None:
    for field in table.link_fields:
        options = field["options"]
        inverse_id = options.get("inverseLinkFieldId")
        linked_table = work.state.tables.get(options["linkedTableId"])
        if not inverse_id or linked_table is None or not linked_table.depends_through(inverse_id):
            continue
        for record in sources:
            following[linked_table.id].update(record.fields.get(field["id"]) or ())


def recompute_table(work: Work, table: TableState) -> None:
    """Recompute every record of ``table`` (after a computed field was added to it)."""
    compute_records(work, table, work.load_all(table.id))
