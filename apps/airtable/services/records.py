"""Writes of records: Airtable first, then the mirror, in the same call.

Airtable takes at most 10 records per request; these functions take any
number and send them in batches. Each batch's answer is written to the
mirror as soon as it comes back, so a failure half-way leaves the mirror
agreeing with Airtable, and the error says how many records were written.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from .. import signals
from ..exceptions import AirtableError, InvalidQuery, RecordNotFound
from ..limits import RECORD_ID, RECORDS_PER_CALL_MAX
from ..models import AirtableConnection, Base, Table
from ..selectors.schema import table_info
from .connections import connection_client
from .mirror import mirror_delete, mirror_upsert
from .reads import base_schema_load


def _target(base_id, table) -> tuple[dict, dict, Table]:
    schema = base_schema_load(base_id)
    info = table_info(schema, table)
    base = Base(pk=schema["base"]["pk"], base_id=schema["base"]["id"])
    return schema, info, Table(pk=info["pk"], table_id=info["id"], base=base)


def _client(schema: dict):
    return connection_client(AirtableConnection.objects.get(pk=schema["base"]["connection_id"]))


def _records_check(records, *, name: str = "records") -> list:
    if not isinstance(records, list | tuple) or not records:
        raise InvalidQuery(f"{name} must be a non-empty list.", errors={name: ["Required."]})
    if len(records) > RECORDS_PER_CALL_MAX:
        raise InvalidQuery(f"At most {RECORDS_PER_CALL_MAX} records per call.",
                           errors={name: [f"At most {RECORDS_PER_CALL_MAX} items."]})
    return list(records)


def _fields_check(fields, where: str) -> dict:
    if not isinstance(fields, dict) or not all(isinstance(key, str) for key in fields):
        raise InvalidQuery("fields must be an object of field name to value.",
                           errors={where: ["An object."]})
    return fields


def _record_id_check(record_id, where: str) -> str:
    if not isinstance(record_id, str) or not RECORD_ID.match(record_id):
        raise InvalidQuery("A record id looks like recXXXXXXXXXXXXXX.",
                           errors={where: ["Not a record id."]})
    return record_id


def _notify(signal, schema: dict, info: dict, record_ids: list[str],
            changed: dict[str, list[str]] | None = None) -> None:
    if record_ids:
        extra = {"changed_fields": {record_id: (changed or {}).get(record_id, [])
                                    for record_id in record_ids}} \
            if signal is signals.record_updated else {}
        signal.send(sender=Table, schema_name=connection.schema_name,
                    base_id=schema["base"]["id"], table_id=info["id"],
                    record_ids=list(record_ids), source="api", **extra)


def _partial(error: AirtableError, done: int, total: int, verb: str) -> AirtableError:
    if done:
        error.detail = f"{error.detail} ({done} of {total} records were {verb} before this.)"
    return error


def records_create(*, base_id, table, records, typecast=False) -> list[dict]:
    """Create records from dicts of fields; returns them as Airtable answered."""
    records = _records_check(records)
    fields_list = [_fields_check(item, f"records[{index}]") for index, item in enumerate(records)]
    schema, info, mirror_table = _target(base_id, table)
    created: list[dict] = []
    try:
        for batch in _client(schema).records_create(schema["base"]["id"], info["id"],
                                                    fields_list, typecast=bool(typecast)):
            mirror_upsert(table=mirror_table, records=batch, synced_at=timezone.now())
            created += batch
            _notify(signals.record_created, schema, info, [item["id"] for item in batch])
    except AirtableError as error:
        raise _partial(error, len(created), len(records), "created") from None
    return created


def records_update(*, base_id, table, records, typecast=False) -> list[dict]:
    """Change the given fields of records ({"id", "fields"}); other fields stay."""
    records = _records_check(records)
    items = []
    for index, item in enumerate(records):
        if not isinstance(item, dict):
            raise InvalidQuery("Each record is {id, fields}.",
                               errors={f"records[{index}]": ["An object."]})
        items.append({"id": _record_id_check(item.get("id"), f"records[{index}].id"),
                      "fields": _fields_check(item.get("fields"), f"records[{index}].fields")})
    schema, info, mirror_table = _target(base_id, table)
    updated: list[dict] = []
    try:
        for batch in _client(schema).records_update(schema["base"]["id"], info["id"], items,
                                                    typecast=bool(typecast)):
            written = mirror_upsert(table=mirror_table, records=batch, synced_at=timezone.now())
            updated += batch
            _notify(signals.record_updated, schema, info, [item["id"] for item in batch],
                    written.changed)
    except AirtableError as error:
        raise _partial(error, len(updated), len(items), "updated") from None
    return updated


def records_upsert(*, base_id, table, records, fields_to_merge_on, typecast=False) -> dict:
    """Airtable's performUpsert: records matching on `fields_to_merge_on` are
    updated, the others created."""
    records = _records_check(records)
    if not isinstance(fields_to_merge_on, list | tuple) or not 1 <= len(fields_to_merge_on) <= 3 \
            or not all(isinstance(name, str) and name for name in fields_to_merge_on):
        raise InvalidQuery("fieldsToMergeOn names 1 to 3 fields.",
                           errors={"fieldsToMergeOn": ["1 to 3 field names."]})
    items = []
    for index, item in enumerate(records):
        fields = item.get("fields") if isinstance(item, dict) and "fields" in item else item
        items.append({"fields": _fields_check(fields, f"records[{index}].fields")})
    schema, info, mirror_table = _target(base_id, table)
    answer: dict = {"records": [], "createdRecords": [], "updatedRecords": []}
    try:
        for batch in _client(schema).records_upsert(
                schema["base"]["id"], info["id"], items,
                fields_to_merge_on=list(fields_to_merge_on), typecast=bool(typecast)):
            written = mirror_upsert(table=mirror_table, records=batch["records"],
                                    synced_at=timezone.now())
            for key in answer:
                answer[key] += batch[key]
            _notify(signals.record_created, schema, info, batch["createdRecords"])
            _notify(signals.record_updated, schema, info, batch["updatedRecords"],
                    written.changed)
    except AirtableError as error:
        raise _partial(error, len(answer["records"]), len(items), "written") from None
    return answer


def records_delete(*, base_id, table, record_ids) -> list[dict]:
    record_ids = _records_check(record_ids, name="record_ids")
    ids = [_record_id_check(item, f"records[{index}]") for index, item in enumerate(record_ids)]
    schema, info, mirror_table = _target(base_id, table)
    deleted: list[dict] = []
    try:
        for batch in _client(schema).records_delete(schema["base"]["id"], info["id"], ids):
            gone = [item["id"] for item in batch if item.get("deleted")]
            mirror_delete(table=mirror_table, record_ids=gone)
            deleted += batch
            _notify(signals.record_deleted, schema, info, gone)
    except RecordNotFound:
        raise
    except AirtableError as error:
        raise _partial(error, len(deleted), len(ids), "deleted") from None
    return deleted
