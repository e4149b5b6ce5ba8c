"""One write to a base: the records it loads and changes, saved together at the end.

Writes to one base are serialised by locking the base's row, so the links
between records, the auto-numbers and the computed values stay consistent
when several server processes write at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .. import ids
from ..exceptions import ModelNotFound
from ..models import SandboxBase, SandboxRecord, SandboxToken
from ..state import BaseState, TableState, base_state_load


def now_ms() -> datetime:
    """Now, to the millisecond: Airtable's timestamps carry no finer precision."""
    moment = timezone.now()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@contextmanager
def base_locked(*, token: SandboxToken, base_id: str):
    """The base's schema, with the base locked for writing until the block ends."""
    with transaction.atomic():
        base = (SandboxBase.objects.select_for_update()
                .filter(pk=base_id, token=token).first()) if ids.is_id(base_id, ids.BASE) else None
        if base is None:
            raise ModelNotFound()
        yield base_state_load(base)


class Work:
    def __init__(self, state: BaseState):
        self.state = state
        self.now = now_ms()
        self.records: dict[str, SandboxRecord] = {}
        self.created: dict[str, SandboxRecord] = {}
        self.changed: set[str] = set()
        self.computed: set[str] = set()
        self.deleted: set[str] = set()
        self.dirty_tables: set[str] = set()

    # --- loading -----------------------------------------------------------------------

    def load(self, table_id: str, record_ids: Iterable[str]) -> dict[str, SandboxRecord]:
        """The live records of ``table_id`` among ``record_ids`` (deleted ones left out)."""
        wanted = [record_id for record_id in dict.fromkeys(record_ids)
                  if isinstance(record_id, str)]
        missing = [record_id for record_id in wanted if record_id not in self.records]
        if missing:
            for record in SandboxRecord.objects.filter(table_id=table_id, id__in=missing):
                self.records[record.id] = record
        return {record_id: self.records[record_id] for record_id in wanted
                if record_id in self.records and record_id not in self.deleted
                and self.records[record_id].table_id == table_id}

    def load_all(self, table_id: str) -> list[SandboxRecord]:
        for record in SandboxRecord.objects.filter(table_id=table_id).order_by("auto_number"):
            self.records.setdefault(record.id, record)
        return sorted((record for record in self.records.values()
                       if record.table_id == table_id and record.id not in self.deleted),
                      key=lambda record: record.auto_number)

    # --- changing ----------------------------------------------------------------------

    def create(self, table: TableState, fields: dict) -> SandboxRecord:
        row = table.row
        record = SandboxRecord(id=ids.new_id(ids.RECORD), table_id=row.id, fields=fields,
                               auto_number=row.next_auto_number, created_time=self.now,
                               last_modified_time=self.now)
        row.next_auto_number += 1
        self.dirty_tables.add(row.id)
        self.records[record.id] = record
        self.created[record.id] = record
        return record

    def set_fields(self, record: SandboxRecord, fields: dict) -> None:
        """Give ``record`` new stored values; keep its links' other sides in step."""
        old = record.fields
        if fields == old:
            return
        record.fields = fields
        self._touch(record)
        self._sync_inverse_links(record, old, fields)

    def delete(self, record: SandboxRecord) -> None:
        self.deleted.add(record.id)
        self._sync_inverse_links(record, record.fields, {})
        self._unlink_one_way(record)

    def _unlink_one_way(self, record: SandboxRecord) -> None:
        """Drop ``record`` from links that have no other side (links within one table)."""
        table = self.state.tables[record.table_id]
        for field in table.link_fields:
            options = field["options"]
            if options["linkedTableId"] != table.id or options.get("inverseLinkFieldId"):
                continue
            holders = SandboxRecord.objects.filter(
                table_id=table.id, fields__contains={field["id"]: [record.id]}
            ).values_list("id", flat=True)
            cached = [other.id for other in self.records.values()
                      if record.id in (other.fields.get(field["id"]) or ())]
            for other in self.load(table.id, [*holders, *cached]).values():
                remaining = [item for item in other.fields.get(field["id"]) or ()
                             if item != record.id]
                fields = {key: value for key, value in other.fields.items() if key != field["id"]}
                if remaining:
                    fields[field["id"]] = remaining
                if fields != other.fields:
                    other.fields = fields
                    self._touch(other)

    def _touch(self, record: SandboxRecord) -> None:
        record.last_modified_time = self.now
        if record.id not in self.created:
            self.changed.add(record.id)

    def _sync_inverse_links(self, record: SandboxRecord, old: dict, new: dict) -> None:
        table = self.state.tables[record.table_id]
        for field in table.link_fields:
            inverse_id = field["options"].get("inverseLinkFieldId")
            if not inverse_id:
                continue
            before, after = old.get(field["id"]) or [], new.get(field["id"]) or []
            added = [item for item in after if item not in before]
            removed = [item for item in before if item not in after]
            if not added and not removed:
                continue
            linked = self.load(field["options"]["linkedTableId"], added + removed)
            for other_id in added:
                other = linked.get(other_id)
                current = list(other.fields.get(inverse_id) or []) if other else None
                if other is not None and record.id not in current:
                    other.fields = {**other.fields, inverse_id: [*current, record.id]}
                    self._touch(other)
            for other_id in removed:
                other = linked.get(other_id)
                current = list(other.fields.get(inverse_id) or []) if other else []
                if other is not None and record.id in current:
                    remaining = [item for item in current if item != record.id]
                    fields = dict(other.fields)
                    if remaining:
                        fields[inverse_id] = remaining
                    else:
                        fields.pop(inverse_id, None)
                    other.fields = fields
                    self._touch(other)

    def mark_computed(self, record: SandboxRecord) -> None:
        if record.id not in self.created:
            self.computed.add(record.id)

    def seeds(self) -> dict[str, set[str]]:
        """Records whose stored values changed, by table: where recomputation starts."""
        seeds: dict[str, set[str]] = {}
        for record_id in [*self.created, *self.changed]:
            if record_id in self.deleted:
                continue
            record = self.records[record_id]
            seeds.setdefault(record.table_id, set()).add(record_id)
        return seeds

    def save(self) -> None:
        if self.created:
            SandboxRecord.objects.bulk_create(
                [record for record in self.created.values() if record.id not in self.deleted],
                batch_size=500)
        changed = [self.records[record_id] for record_id in self.changed
                   if record_id not in self.deleted]
        if changed:
            SandboxRecord.objects.bulk_update(changed, ["fields", "last_modified_time"],
                                              batch_size=500)
        computed = [self.records[record_id] for record_id in self.computed - self.changed
                    if record_id not in self.deleted]
        if computed:
            SandboxRecord.objects.bulk_update(computed, ["fields"], batch_size=500)
        if self.deleted:
            SandboxRecord.objects.filter(id__in=list(self.deleted)).delete()
        for table_id in self.dirty_tables:
            self.state.tables[table_id].row.save(update_fields=["fields", "next_auto_number"])

