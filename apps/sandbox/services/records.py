"""Record writes: create, update (PATCH/PUT), upsert and delete, at most 10 per request."""

from __future__ import annotations

import json
from collections import defaultdict
from functools import reduce
from operator import or_

from django.db.models import Q

from apps.formulas.fieldtypes import field_type

from .. import ids
from ..exceptions import (
    InvalidRecords,
    InvalidRequest,
    InvalidValueForColumn,
    ModelNotFound,
    RecordNotFound,
    RowDoesNotExist,
    UnknownFieldName,
)
from ..field_types import (
    LINK,
    MULTIPLE_SELECTS,
    SINGLE_SELECT,
    convert,
    is_empty,
)
from ..models import SandboxRecord, SandboxToken
from ..state import BaseState, TableState
from .compute import recompute
from .work import Work, base_locked

MAX_RECORDS_PER_REQUEST = 10
MAX_MERGE_FIELDS = 3


def table_of(state: BaseState, table_key: str) -> TableState:
    table = state.table(table_key)
    if table is None:
        raise ModelNotFound()
    return table


def _check_batch(count: int, verb: str) -> None:
    if count == 0:
        raise InvalidRecords(f"You must {verb} at least one record")
    if count > MAX_RECORDS_PER_REQUEST:
        raise InvalidRecords(
            f"You can {verb} at most {MAX_RECORDS_PER_REQUEST} records per request")


def _check_fields(fields: object) -> dict:
    if not isinstance(fields, dict):
        raise InvalidRequest("Invalid request: each record needs a fields object")
    return fields


def _put(fields: dict, field_id: str, value: object) -> None:
    if is_empty(value):
        fields.pop(field_id, None)
    else:
        fields[field_id] = value


class FieldWriter:
    """Turns the fields of a request into stored values for one table."""

    def __init__(self, work: Work, table: TableState, typecast: bool):
        self.work = work
        self.table = table
        self.typecast = typecast
        self.by_primary: dict[str, dict[str, str]] = defaultdict(dict)

    def _items(self, field: dict, value: object) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str) and self.typecast:
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InvalidValueForColumn(
                f'Field "{field["name"]}" cannot accept the provided value: '
                "it needs an array of record IDs")
        return value

    def prefetch(self, inputs: list[dict]) -> None:
        """Load every linked record the request names, in one query per linked table."""
        record_ids: dict[str, set[str]] = defaultdict(set)
        names: dict[str, set[str]] = defaultdict(set)
        for fields in inputs:
            for key, value in fields.items():
                field = self.table.field(key)
                if field is None or field["type"] != LINK:
                    continue
                linked_table = field["options"]["linkedTableId"]
                for item in self._items(field, value):
                    if ids.is_id(item, ids.RECORD):
                        record_ids[linked_table].add(item)
                    elif self.typecast:
                        names[linked_table].add(item)
        for table_id, wanted in record_ids.items():
            self.work.load(table_id, wanted)
        for table_id, wanted in names.items():
            primary_id = self.work.state.tables[table_id].row.primary_field_id
            matches = (SandboxRecord.objects.filter(table_id=table_id)
                       .filter(**{f"fields__{primary_id}__in": sorted(wanted)})
                       .order_by("auto_number"))
            for record in matches:
                self.work.records.setdefault(record.id, record)
                self.by_primary[table_id].setdefault(record.fields.get(primary_id), record.id)

    def _link(self, field: dict, value: object) -> list[str] | None:
        linked_id = field["options"]["linkedTableId"]
        linked_table = self.work.state.tables[linked_id]
        result: list[str] = []
        for item in self._items(field, value):
            if ids.is_id(item, ids.RECORD):
                if not self.work.load(linked_id, [item]):
                    raise RowDoesNotExist(f"Record ID {item} does not exist")
                record_id = item
            elif self.typecast:
                record_id = self.by_primary[linked_id].get(item)
                if record_id is None:
                    record_id = self._create_linked(linked_table, item)
            else:
                raise InvalidValueForColumn(f'Value "{item[:100]}" is not a valid record ID.')
            if record_id not in result:
                result.append(record_id)
        return result or None

    def _create_linked(self, linked_table: TableState, name: str) -> str:
        primary = linked_table.primary_field
        fields = {}
        if field_type(primary["type"]).writable and primary["type"] != LINK:
            _put(fields, primary["id"], convert(primary, name, typecast=True))
        record = self.work.create(linked_table, {})
        self.work.set_fields(record, fields)
        self.by_primary[linked_table.id][name] = record.id
        return record.id

    def stored(self, current: dict, fields: dict, *, replace: bool) -> dict:
        if replace:
            result = {key: value for key, value in current.items()
                      if key in self.table.by_id
                      and field_type(self.table.by_id[key]["type"]).computed}
        else:
            result = dict(current)
        for key, value in fields.items():
            field = self.table.field(key)
            if field is None:
                raise UnknownFieldName(f'Unknown field name: "{str(key)[:200]}"')
            if field_type(field["type"]).computed:
                raise InvalidValueForColumn(
                    f'Field "{field["name"]}" cannot accept a value because the field is computed')
            if field["type"] == LINK:
                value = self._link(field, value)
            else:
                value = convert(field, value, typecast=self.typecast,
                                current=current.get(field["id"]))
                if self.typecast and field["type"] in (SINGLE_SELECT, MULTIPLE_SELECTS):
                    self.work.dirty_tables.add(self.table.id)
            _put(result, field["id"], value)
        return result


def _finish(work: Work) -> None:
    recompute(work, work.seeds())
    work.save()


def records_create(*, token: SandboxToken, base_id: str, table_key: str, items: list,
                   typecast: bool) -> tuple[TableState, list[SandboxRecord]]:
    """Create records from a list of fields objects; they come back with computed values."""
    _check_batch(len(items), "create")
    inputs = [_check_fields(fields) for fields in items]
    with base_locked(token=token, base_id=base_id) as state:
        table = table_of(state, table_key)
        work = Work(state)
        writer = FieldWriter(work, table, typecast)
        writer.prefetch(inputs)
        records = []
        for fields in inputs:
            record = work.create(table, {})
            work.set_fields(record, writer.stored({}, fields, replace=False))
            records.append(record)
        _finish(work)
    return table, records


def _existing(work: Work, table: TableState, record_ids: list[str]) -> dict[str, SandboxRecord]:
    found = work.load(table.id, [record_id for record_id in record_ids
                                 if ids.is_id(record_id, ids.RECORD)])
    for record_id in record_ids:
        if record_id not in found:
            raise RecordNotFound(f"Could not find record {str(record_id)[:40]}")
    return found


def records_update(*, token: SandboxToken, base_id: str, table_key: str,
                   items: list[tuple[str, dict]], typecast: bool,
                   replace: bool) -> tuple[TableState, list[SandboxRecord]]:
    """PATCH (merge) or PUT (replace: unnamed writable fields are cleared) records by id."""
    _check_batch(len(items), "update")
    inputs = [(record_id, _check_fields(fields)) for record_id, fields in items]
    with base_locked(token=token, base_id=base_id) as state:
        table = table_of(state, table_key)
        work = Work(state)
        found = _existing(work, table, [record_id for record_id, _ in inputs])
        writer = FieldWriter(work, table, typecast)
        writer.prefetch([fields for _, fields in inputs])
        for record_id, fields in inputs:
            record = found[record_id]
            work.set_fields(record, writer.stored(record.fields, fields, replace=replace))
        _finish(work)
    return table, [found[record_id] for record_id, _ in inputs]


def records_upsert(*, token: SandboxToken, base_id: str, table_key: str, items: list[dict],
                   merge_on: list, typecast: bool, replace: bool):
    """Update the records that match ``merge_on`` (or carry an id) and create the rest.

    Returns (table, records in request order, created ids, updated ids).
    """
    _check_batch(len(items), "upsert")
    if not isinstance(merge_on, list) or not 1 <= len(merge_on) <= MAX_MERGE_FIELDS \
            or not all(isinstance(key, str) for key in merge_on):
        raise InvalidRequest("Invalid request: fieldsToMergeOn must list 1 to 3 field names")
    with base_locked(token=token, base_id=base_id) as state:
        table = table_of(state, table_key)
        merge_fields = []
        for key in merge_on:
            field = table.field(key)
            if field is None:
                raise UnknownFieldName(f'Unknown field name: "{key[:200]}"')
            merge_fields.append(field)
        work = Work(state)
        writer = FieldWriter(work, table, typecast)
        inputs = []
        for item in items:
            if not isinstance(item, dict):
                raise InvalidRequest("Invalid request: each record must be an object")
            inputs.append((item.get("id"), _check_fields(item.get("fields"))))
        writer.prefetch([fields for _, fields in inputs])
        with_ids = _existing(work, table, [rid for rid, _ in inputs if rid is not None])
        keys = [None if record_id is not None else _merge_key(writer, merge_fields, fields)
                for record_id, fields in inputs]
        matches = _matches(work, table, merge_fields, [key for key in keys if key])

        records, created, updated = [], [], []
        for (record_id, fields), key in zip(inputs, keys, strict=True):
            if record_id is not None:
                target = with_ids[record_id]
            else:
                candidates = matches.get(key[0], []) if key else []
                if len(candidates) > 1:
                    raise InvalidRecords("More than one record matches the fieldsToMergeOn "
                                         "values of a record in the request")
                target = candidates[0] if candidates else None
            if target is None:
                target = work.create(table, {})
                work.set_fields(target, writer.stored({}, fields, replace=False))
                if key:
                    matches[key[0]] = [target]
                created.append(target.id)
            else:
                work.set_fields(target, writer.stored(target.fields, fields, replace=replace))
                if target.id not in created and target.id not in updated:
                    updated.append(target.id)
            records.append(target)
        _finish(work)
    return table, records, created, updated


def _merge_key(writer: FieldWriter, merge_fields: list[dict], fields: dict):
    """(comparable key, stored values) of a record's fieldsToMergeOn, or None if one is blank."""
    values = {}
    for field in merge_fields:
        given = [key for key in fields if key in (field["id"], field["name"])]
        if not given:
            raise InvalidRecords(
                f'Records without an id must include the fieldsToMergeOn field "{field["name"]}"')
        stored = writer.stored({}, {given[-1]: fields[given[-1]]}, replace=False)
        if field["id"] not in stored:
            return None
        values[field["id"]] = stored[field["id"]]
    return json.dumps(values, sort_keys=True), values


def _matches(work: Work, table: TableState, merge_fields: list[dict], keys: list) -> dict:
    if not keys:
        return {}
    query = reduce(or_, (Q(fields__contains=values) for _key, values in keys))
    matches: dict[str, list[SandboxRecord]] = defaultdict(list)
    wanted = {key for key, _values in keys}
    for record in SandboxRecord.objects.filter(table_id=table.id).filter(query) \
            .order_by("auto_number"):
        record = work.records.setdefault(record.id, record)
        key = json.dumps({field["id"]: record.fields.get(field["id"]) for field in merge_fields},
                         sort_keys=True)
        if key in wanted:
            matches[key].append(record)
    return matches


def records_delete(*, token: SandboxToken, base_id: str, table_key: str,
                   record_ids: list[str]) -> list[str]:
    _check_batch(len(record_ids), "delete")
    with base_locked(token=token, base_id=base_id) as state:
        table = table_of(state, table_key)
        work = Work(state)
        found = _existing(work, table, record_ids)
        for record_id in dict.fromkeys(record_ids):
            work.delete(found[record_id])
        _finish(work)
    return list(record_ids)
