"""Every write of the Airtable gateway, on the current tenant's schema, and
the reads with their upkeep (reads.py: a stale table's sync, a missing
schema's refresh, field uses for indexes).

Other apps (MCP tools, chat, workflows, file import) use these functions and
apps.airtable.selectors, never the models or the client; they read records
and tables through these services, which the selectors of the same name serve.
"""

from .connections import (
    connection_create,
    connection_delete,
    connection_test,
    connection_update,
)
from .layouts import grid_layout_get, grid_layout_save
from .reads import (
    record_get,
    record_link_options,
    record_list,
    record_search,
    table_get,
    table_list,
)
from .records import records_create, records_delete, records_update, records_upsert
from .scheduling import base_update
from .schema import field_create, field_update, table_create, table_update
from .sync import base_sync, base_sync_scheduled, connection_demo_create, sync_job_run

__all__ = [
    "base_sync",
    "base_sync_scheduled",
    "base_update",
    "connection_create",
    "connection_delete",
    "connection_demo_create",
    "connection_test",
    "connection_update",
    "field_create",
    "field_update",
    "grid_layout_get",
    "grid_layout_save",
    "record_get",
    "record_link_options",
    "record_list",
    "record_search",
    "records_create",
    "records_delete",
    "records_update",
    "records_upsert",
    "sync_job_run",
    "table_create",
    "table_get",
    "table_list",
    "table_update",
]
