"""Kept sort keys of link fields.

Airtable sorts a link field by the linked records' primary values. Made on the spot, that
key costs a look-up of every row's linked records (about 60 ms for 10,000 rows), so each
mirrored row keeps its link fields' keys in ``link_keys`` ({name: {"v": version, "e":
epoch, "k": text}}, the text ``apps.formulas.sql.link_sort_key`` makes) and a sort reads
the kept key when it is current (``selectors.sorting.link_key_current``): of the current
version and of the field's epoch (``Field.link_keys_epoch``).

A kept key is right as long as the row's links and the linked records' primary values are
the ones it was made from, so every write that changes either deals with it in the same
transaction: a row written to the mirror has its keys made anew; a few records created,
renamed or deleted have the keys of the rows linking to them (found by the GIN index)
made anew; more than AIRTABLE_LINK_KEYS_TARGETED_MAX at once (a sync's page of new
records) raise the epoch of the link fields towards their table instead, which makes all
of those keys old in one write, and the keys are made again at the end of the sync (or
by the task ``airtable.link_keys_refresh`` after a write through the platform). A change
of the linked table's primary field (renamed, retyped) changes the version: old keys are
not read. Until a key is made again the row is sorted by the key made on the spot:
slower, never wrong.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from apps.core.jobs import enqueue_on_commit
from apps.formulas import FieldSpec, NotCompilable
from apps.formulas.fieldtypes import LINKS, field_type
from apps.formulas.sql import link_sort_key

from ..exceptions import BaseNotFound, SchemaNotLoaded
from ..models import Field, Record
from ..selectors.records import links_contain_path
from ..selectors.schema import base_schema, field_map
from ..selectors.sorting import link_key_current, link_key_epoch, link_key_version, sql_literal

RECORD_TABLE = Record._meta.db_table
FIELD_TABLE = Field._meta.db_table
LINKS_TYPE = "multipleRecordLinks"
# jsonb_build_object takes at most 100 arguments: a table's keys are built in parts.
PAIRS_PER_CALL = 40
IDS_PER_STATEMENT = 500


def mirror_writes_lock(cursor, *, base_pk: int) -> None:
    """Writes to one base's mirror (``base_pk``), and the making of its link keys, take
    turns until their transaction ends: a row's kept link keys read the linked records as
    committed, so a rename and a link to the renamed record written at once must not each
    miss the other."""
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                   [f"airtable.mirror:{connection.schema_name}:{base_pk}"])


def _link_specs(schema: dict, table: dict) -> list[FieldSpec]:
    specs = []
    for spec in field_map(table, schema).values():
        if field_type(spec.type).value != LINKS or spec.link is None:
            continue
        try:
            link_sort_key(spec, "fields")
        except NotCompilable:
            continue
        specs.append(spec)
    return specs


def _keys_sql(table_pk: int, specs: list[FieldSpec]) -> tuple[str, list]:
    calls, params = [], []
    for start in range(0, len(specs), PAIRS_PER_CALL):
        pairs = []
        for spec in specs[start:start + PAIRS_PER_CALL]:
            epoch, epoch_params = link_key_epoch(spec, table_pk)
            pairs.append(f"{sql_literal(spec.name)}, jsonb_build_object('v', %s::text, "
                         f"'e', {epoch}, 'k', {link_sort_key(spec, 'fields')})")
            params += [link_key_version(spec), *epoch_params]
        calls.append(f"jsonb_build_object({', '.join(pairs)})")
    return " || ".join(calls), params


def _refresh(table: dict, specs: list[FieldSpec], where: str, params: list) -> int:
    """Make the kept keys of ``table``'s rows that ``where`` picks (a table without link
    fields keeps none and is not written)."""
    if not specs:
        return 0
    value, value_params = _keys_sql(table["pk"], specs)
    with transaction.atomic(), connection.cursor() as cursor:
        # No JIT: the planner's guess for a look-up per linked record is huge, and compiling
        # the statement took seconds where running it takes milliseconds.
        cursor.execute("SELECT set_config('jit', 'off', true)")
        cursor.execute(f"UPDATE {RECORD_TABLE} SET link_keys = {value} "
                       f"WHERE table_id = %s AND ({where})",
                       [*value_params, table["pk"], *params])
        return cursor.rowcount


def _schema(base_id: str) -> dict | None:
    try:
        return base_schema(base_id)
    except (BaseNotFound, SchemaNotLoaded):
        return None


def _table(schema: dict, pk: int) -> dict | None:
    return next((item for item in schema["tables"] if item["pk"] == pk), None)


def _linking(schema: dict, pk: int) -> list[tuple[dict, list[FieldSpec], list[FieldSpec]]]:
    """(table, its kept link fields, those of them linking to table ``pk``) for each table
    with a link field to ``pk``."""
    linked_id = next(item["id"] for item in schema["tables"] if item["pk"] == pk)
    found = []
    for table in schema["tables"]:
        if not any(item["type"] == LINKS_TYPE
                   and (item["options"] or {}).get("linkedTableId") == linked_id
                   for item in table["fields"]):
            continue
        specs = _link_specs(schema, table)
        towards = [spec for spec in specs if spec.link.scope == pk]
        if towards:
            found.append((table, specs, towards))
    return found


def _chunks(ids: list[str]):
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        yield ids[start:start + IDS_PER_STATEMENT]


def _rows_refresh(schema: dict | None, table_pk: int, record_ids: list[str]) -> None:
    if not record_ids:
        return
    table = _table(schema, table_pk) if schema is not None else None
    specs = _link_specs(schema, table) if table is not None else []
    for ids in _chunks(list(record_ids)):
        if table is None:
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {RECORD_TABLE} SET link_keys = NULL WHERE table_id = %s "
                               "AND record_id = ANY(%s::text[])", [table_pk, ids])
            continue
        _refresh(table, specs, "record_id = ANY(%s::text[])", [ids])


def link_keys_rows_refresh(*, base_id: str, table_pk: int, record_ids: list[str]) -> None:
    """Make anew the kept keys of these rows (their links were written or dropped)."""
    if record_ids:
        _rows_refresh(_schema(base_id), table_pk, record_ids)


def _epoch_raise(table: dict, specs: list[FieldSpec]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {FIELD_TABLE} SET link_keys_epoch = link_keys_epoch + 1 "
                       "WHERE table_id = %s AND name = ANY(%s::text[])",
                       [table["pk"], [spec.name for spec in specs]])


def _linked_refresh(schema: dict | None, table_pk: int, record_ids: list[str]) -> bool:
    """Deal with the keys of the rows linking to these records of table ``table_pk``
    (created, renamed or deleted). Returns whether keys were made old (epoch raised)
    rather than made anew."""
    if not record_ids or schema is None or _table(schema, table_pk) is None:
        return False
    raised = False
    for table, specs, towards in _linking(schema, table_pk):
        if len(record_ids) > settings.AIRTABLE_LINK_KEYS_TARGETED_MAX:
            _epoch_raise(table, towards)
            raised = True
            continue
        where = " OR ".join("fields @? %s::jsonpath" for _spec in towards)
        _refresh(table, specs, where, [links_contain_path(spec.name, list(record_ids))
                                       for spec in towards])
    return raised


def link_keys_after_upsert(*, base_id: str, table_pk: int, created: list[str],
                           changed: dict[str, list[str]], later: bool = False) -> None:
    """After rows of a table were written (``changed``: the fields each updated row
    changed): their own keys, and the keys of the rows linking to those of them that are
    new or whose primary value changed. Keys made old are made again by a task once the
    transaction commits, or, with ``later``, by the caller (a sync, at its end)."""
    schema = _schema(base_id) if created or changed else None
    table = _table(schema, table_pk) if schema is not None else None
    links = {item["name"] for item in table["fields"]
             if field_type(item["type"]).value == LINKS} if table else None
    # A row whose links did not change keeps its keys (their linked names are the
    # linked rows' business, below).
    relinked = [record_id for record_id, names in changed.items()
                if links is None or links.intersection(names)]
    _rows_refresh(schema, table_pk, [*created, *relinked])
    primary = next((item["name"] for item in table["fields"]
                    if item["id"] == table["primary_field_id"]), None) if table else None
    renamed = [*created, *(record_id for record_id, names in changed.items()
                           if primary is None or primary in names)]
    raised = _linked_refresh(schema, table_pk, renamed)
    if raised and not later:
        enqueue_on_commit("airtable.link_keys_refresh", schema_name=connection.schema_name,
                          base_id=base_id)


def link_keys_stale_refresh(*, base_id: str) -> int:
    """Make the keys that are missing or not current (made old by an epoch, the linked
    table's primary field changed, a link field renamed or added); returns how many rows
    got keys. The end of a sync calls it, and the task after a write through the platform."""
    schema = _schema(base_id)
    if schema is None:
        return 0
    made = 0
    with transaction.atomic(), connection.cursor() as cursor:
        mirror_writes_lock(cursor, base_pk=schema["base"]["pk"])
        for table in schema["tables"]:
            specs = _link_specs(schema, table)
            if not specs:
                continue
            conditions, params = [], []
            for spec in specs:
                current, current_params = link_key_current(spec, table["pk"])
                conditions.append(f"{current} IS NOT TRUE")
                params += current_params
            made += _refresh(table, specs, " OR ".join(conditions), params)
    return made
