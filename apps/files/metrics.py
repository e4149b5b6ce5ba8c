"""Business metrics and the structured log lines of the files app; each line also goes
out as the `file_event` signal, which the analytics app records. /metrics serves the
counters."""

from __future__ import annotations

import logging

from prometheus_client import Counter, Histogram

from .signals import file_event

logger = logging.getLogger("apps.files.events")

uploads = Counter("files_uploaded_total", "File uploads by outcome.", ["outcome"])
upload_refusals = Counter("files_upload_refused_total", "Refused uploads by error code.",
                          ["code"])
extractions = Counter("files_extracted_total", "Extractions by outcome and format.",
                      ["outcome", "format"])
extraction_seconds = Histogram("files_extraction_seconds", "Wall time of one extraction.",
                               ["format"], buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 120))
import_rows = Counter("files_import_rows_total", "Rows imported into Airtable by outcome.",
                      ["outcome"])


def event(name: str, **fields) -> None:
    """One structured line per event: key=value in the text; with JSON logging,
    `event` and `data` (the fields, nested so that none can clash with a
    LogRecord attribute such as `created` or `filename`)."""
    text = " ".join(f"{key}={value}" for key, value in fields.items())
    logger.info("%s %s", name, text, extra={"event": name, "data": fields})
    for receiver, result in file_event.send_robust(sender=None, name=name, fields=fields):
        if isinstance(result, Exception):
            logger.error("file_event receiver %r failed", receiver, exc_info=result)
