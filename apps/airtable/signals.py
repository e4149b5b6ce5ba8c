"""Signals of the Airtable gateway, sent after the mirror has been written.

Receivers get keyword arguments only (no request, no ORM objects):

- base_synced: schema_name, base_id, job_id, full, created, updated, deleted
- record_created / record_updated / record_deleted: schema_name, base_id,
  table_id, record_ids, source ("api" for writes through the platform,
  "sync" for changes a sync found in Airtable; the first sync of a base
  sends none); record_updated also carries changed_fields: {record_id: [the
  names of the fields whose value changed]} (empty when none did: the mirror
  row changed only its place, or Airtable answered an update with the same
  values)
- sync_job_finished: schema_name, base_id, job_id, status ("succeeded" or "failed"),
  full, trigger, records (created + updated + deleted), requests, rate_limited (429
  answers), duration_ms
"""

from django.dispatch import Signal

base_synced = Signal()
record_created = Signal()
record_updated = Signal()
record_deleted = Signal()
sync_job_finished = Signal()
