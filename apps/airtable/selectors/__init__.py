"""Every read of the Airtable gateway, on the current tenant's schema."""

from .connections import (
    base_get,
    base_list,
    connection_get,
    connection_list,
    sync_job_get,
    sync_job_list,
    sync_job_state,
    sync_job_summary,
    table_get,
    table_list,
)
from .records import (
    RecordPage,
    record_count,
    record_get,
    record_link_names,
    record_link_options,
    record_list,
    record_offset_previous,
    record_page,
    record_search,
)

__all__ = [
    "RecordPage",
    "base_get",
    "base_list",
    "connection_get",
    "connection_list",
    "record_count",
    "record_get",
    "record_link_names",
    "record_link_options",
    "record_list",
    "record_offset_previous",
    "record_page",
    "record_search",
    "sync_job_get",
    "sync_job_list",
    "sync_job_state",
    "sync_job_summary",
    "table_get",
    "table_list",
]
