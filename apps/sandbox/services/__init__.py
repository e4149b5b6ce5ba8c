"""Every write of the sandbox. Other apps use these names only."""

from .meta import base_create, field_create, field_update, table_create, table_update
from .records import records_create, records_delete, records_update, records_upsert
from .seed import sandbox_seed_demo
from .seed_large import sandbox_seed_large
from .tokens import token_create, token_ensure

__all__ = [
    "base_create",
    "field_create",
    "field_update",
    "records_create",
    "records_delete",
    "records_update",
    "records_upsert",
    "sandbox_seed_demo",
    "sandbox_seed_large",
    "table_create",
    "table_update",
    "token_create",
    "token_ensure",
]
