"""Writes to the mirror's record table, shared by sync and write-through.

Upserts go by (table, record_id), so a sync that is run twice, or resumed
after a killed worker, never makes duplicates. Unchanged rows are not
rewritten: only real changes count as updated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from apps.formulas.fieldtypes import RESULT, field_type, observed_result

from ..models import Field, Record, Table
from ..selectors.records import links_contain_path
from .linkkeys import link_keys_after_upsert, link_keys_rows_refresh, mirror_writes_lock

RECORD_TABLE = Record._meta.db_table


@dataclass
class UpsertResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    # For each updated record, the names of the fields whose value changed (added, removed
    # or different); empty when only its place or creation time moved.
    changed: dict[str, list[str]] = field(default_factory=dict)


def _created_time(record: dict, fallback: datetime) -> datetime:
    value = record.get("createdTime")
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed or fallback


def mirror_upsert(*, table: Table, records: list[dict], synced_at: datetime,
                  first_position: int | None = None,
                  link_keys_later: bool = False) -> UpsertResult:
    """Write Airtable records ({id, createdTime, fields}) into the mirror.

    With `first_position` (a full scan), records take the positions
    first_position, first_position + 1, ... in the order given: Airtable's
    default order. Without it, new records go after the last one and
    existing ones keep their place. With `link_keys_later` (a sync), link keys made old
    here are left to the caller to make again (`linkkeys.link_keys_stale_refresh`).
    """
    result = UpsertResult()
    # A record edited while Airtable pages a listing can come twice; its last copy wins.
    latest = {str(record["id"]): record for record in records
              if isinstance(record, dict) and record.get("id")}
    rows = list(latest.values())
    if not rows:
        return result
    values, params = [], []
    for index, record in enumerate(rows):
        fields = record.get("fields") if isinstance(record.get("fields"), dict) else {}
        values.append("(%s, %s::jsonb, %s::timestamptz, %s::bigint)")
        params += [str(record["id"]), json.dumps(fields), _created_time(record, synced_at), index]
    reposition = first_position is not None
    if reposition:
        position_base = "%s::bigint"
        base_params = [first_position]
    else:
        position_base = (f"(SELECT COALESCE(MAX(position), 0) + 1 FROM {RECORD_TABLE} "
                         "WHERE table_id = %s)")
        base_params = [table.pk]
    kept_position = "EXCLUDED.position" if reposition else "r.position"
    # `previous` reads the rows as they were before this statement (a data-modifying CTE
    # does not see its own changes), so the answer names the fields each update changed.
    sql = f"""
        WITH incoming (record_id, fields, created_time, ordinal) AS (VALUES {", ".join(values)}),
        previous AS (
            SELECT p.record_id, p.fields FROM {RECORD_TABLE} p
            WHERE p.table_id = %s AND p.record_id IN (SELECT record_id FROM incoming)),
        written AS (
        INSERT INTO {RECORD_TABLE} AS r
            (table_id, record_id, fields, position, created_time, last_modified_time, synced_at)
        SELECT %s, i.record_id, i.fields, {position_base} + i.ordinal, i.created_time,
               i.created_time, %s
        FROM incoming i
        ON CONFLICT (table_id, record_id) DO UPDATE SET
            fields = EXCLUDED.fields,
            created_time = EXCLUDED.created_time,
            position = {kept_position},
            last_modified_time = CASE WHEN r.fields IS DISTINCT FROM EXCLUDED.fields
                                      THEN EXCLUDED.synced_at ELSE r.last_modified_time END,
            synced_at = EXCLUDED.synced_at
        WHERE r.fields IS DISTINCT FROM EXCLUDED.fields
           OR r.created_time IS DISTINCT FROM EXCLUDED.created_time
           OR r.position IS DISTINCT FROM {kept_position}
        RETURNING record_id, fields, (xmax = 0) AS inserted)
        SELECT w.record_id, w.inserted,
               ARRAY(SELECT key FROM jsonb_each(w.fields) n
                     FULL JOIN jsonb_each(COALESCE(p.fields, '{{}}'::jsonb)) o USING (key)
                     WHERE n.value IS DISTINCT FROM o.value ORDER BY key)
        FROM written w LEFT JOIN previous p USING (record_id)
    """
    # The rows and the kept link keys that read them change together.
    with transaction.atomic(), connection.cursor() as cursor:
        mirror_writes_lock(cursor, base_pk=table.base_id)
        cursor.execute(sql, [*params, table.pk, table.pk, *base_params, synced_at])
        for record_id, inserted, changed in cursor.fetchall():
            if inserted:
                result.created.append(record_id)
            else:
                result.updated.append(record_id)
                result.changed[record_id] = list(changed)
        link_keys_after_upsert(base_id=table.base.base_id, table_pk=table.pk,
                               created=result.created, changed=result.changed,
                               later=link_keys_later)
    return result


def _links_drop(*, table: Table, record_ids: list[str]) -> None:
    """Deleted records leave the link fields that pointed at them, as in Airtable (a link
    field left empty is absent); the records linking to them are found by the GIN index."""
    if not record_ids:
        return
    links = Field.objects.filter(table__base__tables=table.pk, type="multipleRecordLinks",
                                 options__linkedTableId=table.table_id)
    for link in links.select_related("table__base"):
        kept = ("(SELECT COALESCE(jsonb_agg(_e.item ORDER BY _e.ord), '[]'::jsonb) FROM "
                "jsonb_array_elements(fields -> %s) WITH ORDINALITY AS _e(item, ord) "
                "WHERE NOT (_e.item #>> '{}') = ANY(%s::text[]))")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {RECORD_TABLE} SET fields = CASE WHEN {kept} = '[]'::jsonb "
                f"THEN fields - %s ELSE jsonb_set(fields, ARRAY[%s], {kept}) END "
                "WHERE table_id = %s AND jsonb_typeof(fields -> %s) = 'array' "
                "AND fields @? %s::jsonpath RETURNING record_id",
                [link.name, list(record_ids), link.name, link.name, link.name,
                 list(record_ids), link.table_id, link.name,
                 links_contain_path(link.name, record_ids)])
            unlinked = [row[0] for row in cursor.fetchall()]
        link_keys_rows_refresh(base_id=link.table.base.base_id, table_pk=link.table_id,
                               record_ids=unlinked)


def mirror_delete(*, table: Table, record_ids: list[str]) -> list[str]:
    if not record_ids:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        mirror_writes_lock(cursor, base_pk=table.base_id)
        cursor.execute(
            f"DELETE FROM {RECORD_TABLE} WHERE table_id = %s AND record_id = ANY(%s::text[]) "
            "RETURNING record_id", [table.pk, list(record_ids)])
        deleted = [row[0] for row in cursor.fetchall()]
        _links_drop(table=table, record_ids=deleted)
    return deleted


def mirror_delete_except(*, table: Table, keep_ids: set[str] | list[str]) -> list[str]:
    """Remove the table's records that a complete id scan no longer listed."""
    with transaction.atomic(), connection.cursor() as cursor:
        mirror_writes_lock(cursor, base_pk=table.base_id)
        cursor.execute(
            f"DELETE FROM {RECORD_TABLE} WHERE table_id = %s "
            "AND record_id NOT IN (SELECT unnest(%s::text[])) RETURNING record_id",
            [table.pk, list(keep_ids)])
        deleted = [row[0] for row in cursor.fetchall()]
        _links_drop(table=table, record_ids=deleted)
    return deleted


def mirror_field_rename(*, table: Table, old: str, new: str) -> None:
    """Field names key the JSON: a rename in Airtable moves the key in every row."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RECORD_TABLE} SET fields = (fields - %s) || "
            "jsonb_build_object(%s::text, fields -> %s) "
            "WHERE table_id = %s AND jsonb_exists(fields, %s)",
            [old, new, old, table.pk, old])
    _link_keys_forget(table=table, names=[old, new])


def _link_keys_forget(*, table: Table, names: list[str]) -> None:
    """Kept link keys are by field name: a renamed or dropped field's keys are not read
    again (the end of the sync makes the keys of the new names)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RECORD_TABLE} SET link_keys = link_keys - %s::text[] "
            "WHERE table_id = %s AND link_keys ?| %s::text[]", [names, table.pk, names])


def mirror_field_drop(*, table: Table, name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RECORD_TABLE} SET fields = fields - %s "
            "WHERE table_id = %s AND jsonb_exists(fields, %s)", [name, table.pk, name])
    _link_keys_forget(table=table, names=[name])


def mirror_count(*, table: Table) -> int:
    return Record.objects.filter(table=table).count()


_KIND_OF_VALUE = (
    "CASE jsonb_typeof(kv.value) WHEN 'string' THEN CASE "
    "WHEN kv.value #>> '{}' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}' THEN 'dateTime' "
    "WHEN kv.value #>> '{}' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN 'date' ELSE 'string' END "
    "WHEN 'array' THEN CASE WHEN NOT EXISTS (SELECT FROM jsonb_array_elements(kv.value) AS _e "
    "WHERE jsonb_typeof(_e) <> 'string') THEN 'texts' ELSE 'array' END "
    "ELSE jsonb_typeof(kv.value) END")


def mirror_observe_results(*, table: Table) -> None:
    """Record for each formula and rollup field of ``table`` what its mirrored values are
    (numbers, dates, text...), so that filters and sorts compile by what the values are
    when a field's declared result type says otherwise."""
    computed = [item for item in table.fields.all() if field_type(item.type).value == RESULT]
    if not computed:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT kv.key, {_KIND_OF_VALUE}, count(*) FROM {RECORD_TABLE} AS r, "
            "jsonb_each(r.fields) AS kv WHERE r.table_id = %s AND kv.key = ANY(%s) "
            "GROUP BY 1, 2", [table.pk, [item.name for item in computed]])
        kinds: dict[str, dict[str, int]] = {}
        for name, kind, count in cursor.fetchall():
            kinds.setdefault(name, {})[kind] = count
    for item in computed:
        observed = observed_result(kinds.get(item.name, {})) or ""
        if item.observed_type != observed:
            item.observed_type = observed
            item.save(update_fields=["observed_type"])
