"""Every write of the files app: uploads, deletion, extraction, imports."""

from .extraction import extractions_reap, file_extract, file_extraction_retry
from .files import display_filename, file_delete, file_upload
from .imports import import_job_run, import_jobs_reap, import_start

__all__ = [
    "display_filename",
    "extractions_reap",
    "file_delete",
    "file_extract",
    "file_extraction_retry",
    "file_upload",
    "import_job_run",
    "import_jobs_reap",
    "import_start",
]
