"""Triggers from other apps: mirror changes into the outbox, processed files into runs."""

from __future__ import annotations

import logging

from django.dispatch import receiver
from django_tenants.utils import schema_context, schema_exists

from apps.airtable import signals as airtable_signals
from apps.files import selectors as files_selectors
from apps.files import signals as files_signals

from . import services

logger = logging.getLogger(__name__)


def _record_change(kind: str):
    def store(sender, *, schema_name, base_id, table_id, record_ids, source,
              changed_fields=None, **kwargs):
        depth = services.current_depth.get()
        with schema_context(schema_name):
            services.record_event_store(kind=kind, base_id=base_id, table_id=table_id,
                                        record_ids=record_ids, source=source,
                                        depth=0 if depth is None else depth + 1,
                                        changed_fields=changed_fields)

    store.__name__ = f"workflows_{kind}"
    return store


_receivers = {}
for _kind, _signal in (("record_created", airtable_signals.record_created),
                       ("record_updated", airtable_signals.record_updated),
                       ("record_deleted", airtable_signals.record_deleted)):
    _receivers[_kind] = _record_change(_kind)
    _signal.connect(_receivers[_kind], dispatch_uid=f"workflows.{_kind}")


@receiver(files_signals.file_processed, dispatch_uid="workflows.file_processed")
def file_processed(sender, *, schema_name, file_id, **kwargs):
    if not schema_exists(schema_name):
        return
    with schema_context(schema_name):
        file = files_selectors.file_get(file_id=file_id)
        services.file_processed_fire(file={"id": str(file.pk), "filename": file.filename,
                                           "extension": file.extension, "size": file.size,
                                           "mime_type": file.mime_type})
