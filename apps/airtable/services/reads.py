"""Reads with their upkeep: what views, tools and other apps call to read the
mirror. Each runs the selector of the same name (which only reads) and then
does what the read called for:

- a base whose tables were never read, or a table or field the mirror's schema
  does not know (it may be new in Airtable): the schema is refreshed from
  Airtable (a miss at most once per base every SCHEMA_REFRESH_SECONDS) and the
  read asked again (not with `ask_airtable_on_miss=False`: then what the mirror
  does not know is answered as unknown at once);
- a table never synced or older than the read's `max_age`: a sync is queued;
- fields a mirror query filtered or sorted on: their uses are counted, and a
  field used often gets its indexes built (services.indexes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection

from apps.core.exceptions import ApplicationError

from .. import selectors
from ..exceptions import AirtableError, SchemaNotLoaded
from ..models import Base
from ..selectors.schema import base_schema
from .indexes import field_uses_record
from .sync import base_schema_refresh, base_sync

SCHEMA_REFRESH_SECONDS = 30
T = TypeVar("T")


def _refresh_allowed(base_id: str) -> bool:
    return cache.add(f"airtable:schema-refresh:{base_id}", 1, SCHEMA_REFRESH_SECONDS)


def _read(base_id, read: Callable[[], T], *, ask_airtable: bool = True) -> T:
    try:
        return read()
    except SchemaNotLoaded as missing:
        base_schema_refresh(base=missing.base)
        return read()
    except ApplicationError as error:
        if not getattr(error, "schema_miss", False) or not ask_airtable or \
                not _refresh_allowed(base_id):
            raise
    with contextlib.suppress(AirtableError):
        # When Airtable cannot say whether the table or field is new, what we know answers.
        base_schema_refresh(base=Base.objects.select_related("connection").get(base_id=base_id))
    return read()


def base_schema_load(base_id) -> dict:
    """The base's schema (selectors.schema.base_schema), read from Airtable first
    when the base's tables were never read."""
    return _read(base_id, lambda: base_schema(base_id))


def table_list(*, base_id) -> list[dict]:
    return _read(base_id, lambda: selectors.table_list(base_id=base_id))


def table_get(*, base_id, table) -> dict:
    return _read(base_id, lambda: selectors.table_get(base_id=base_id, table=table))


def record_list(*, base_id, table, ask_airtable_on_miss=True, **options) -> dict:
    """One page of records in Airtable's shape (the options of selectors.record_page)."""
    read = _read(base_id, lambda: selectors.record_page(base_id=base_id, table=table,
                                                        **options),
                 ask_airtable=ask_airtable_on_miss)
    if read.sync_due:
        base_sync(base_id=read.base_id, trigger="stale-read")
    if read.used_fields:
        field_uses_record(schema_name=connection.schema_name, table_pk=read.table_pk,
                          base_id=read.base_id, field_names=set(read.used_fields))
    return read.page


def record_get(*, base_id, table, record_id, ask_airtable_on_miss=True) -> dict:
    """A record from the mirror; one it does not have is asked of Airtable (it may be newer
    than the last sync) unless ask_airtable_on_miss=False and the table has been synced."""
    return _read(base_id, lambda: selectors.record_get(
        base_id=base_id, table=table, record_id=record_id,
        ask_airtable_on_miss=ask_airtable_on_miss), ask_airtable=ask_airtable_on_miss)


def record_search(*, base_id, table, query, fields=None, max_records=100,
                  ask_airtable_on_miss=True) -> dict:
    return _read(base_id, lambda: selectors.record_search(
        base_id=base_id, table=table, query=query, fields=fields, max_records=max_records),
        ask_airtable=ask_airtable_on_miss)


def record_link_options(*, base_id, table, field, query="", limit=20) -> dict:
    return _read(base_id, lambda: selectors.record_link_options(
        base_id=base_id, table=table, field=field, query=query, limit=limit))
