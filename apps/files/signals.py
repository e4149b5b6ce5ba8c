"""Signals the files app sends. Receivers get keyword arguments only."""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# A file's content has been extracted and can be read (workflows trigger on it).
# Sent after the transaction commits, with schema_name and file_id.
file_processed = Signal()

# An import into an Airtable table has finished, successfully or not.
# Sent after the transaction commits, with schema_name, job_id, file_id and status.
file_import_finished = Signal()

# Every event the files app logs (file.uploaded, file.extracted, file.import_finished, ...),
# with name and fields: ids, formats, sizes, outcomes and counts, never content.
file_event = Signal()


def send_on_commit(signal: Signal, sender, **kwargs) -> None:
    """Send once the transaction commits, to every receiver even if one fails:
    a broken receiver is logged and must not undo a processed file."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error("signal receiver %r failed", receiver, exc_info=result)

    transaction.on_commit(send)
