"""Helpers of the analytics tests: record through the real paths, then ingest."""

from __future__ import annotations

from django.db import connection

from apps.analytics.services import events_ingest


def ingest() -> int:
    """What beat's ingest does: buffered events into the tenants' tables."""
    written = events_ingest()
    connection.set_schema_to_public()
    return written


def rows(schema_name: str, sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(schema=f'"{schema_name}"'), params)
        return cursor.fetchall()
