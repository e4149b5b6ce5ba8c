"""Monthly partitions of `analytics_event` in one schema.

There is no default partition: an event whose month has no partition is
refused by PostgreSQL, and the ingest creates that month's partition (when it
is within the retention) and writes again. Beat keeps partitions at least
ANALYTICS_PARTITION_MONTHS_AHEAD months ahead in every tenant schema and in the
template schema new tenants are cloned from, and drops the ones whose month
ended more than ANALYTICS_RETENTION_DAYS ago.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection

PARENT = "analytics_event"
_NAME = re.compile(r"^analytics_event_p(\d{4})_(\d{2})$")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def month_start(moment: dt.date | dt.datetime) -> dt.date:
    return dt.date(moment.year, moment.month, 1)


def month_add(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"{PARENT}_p{month.year:04d}_{month.month:02d}"


def _schema(schema_name: str) -> str:
    if not _SCHEMA.match(schema_name):
        raise ValueError(f"not a schema name: {schema_name!r}")
    return f'"{schema_name}"'


def partition_create(schema_name: str, month: dt.date, cursor=None) -> bool:
    """Create the partition of `month` unless it exists; True when it was created."""
    month = month_start(month)
    name = partition_name(month)
    own_cursor = cursor is None
    cursor = cursor or connection.cursor()
    try:
        cursor.execute("SELECT to_regclass(%s)", [f"{_schema(schema_name)}.{name}"])
        if cursor.fetchone()[0] is not None:
            return False
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {_schema(schema_name)}.{name} "
            f"PARTITION OF {_schema(schema_name)}.{PARENT} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{month_add(month, 1).isoformat()}')")
        return True
    finally:
        if own_cursor:
            cursor.close()


def partitions_of(schema_name: str, cursor=None) -> list[dt.date]:
    """The months that have a partition in this schema, oldest first."""
    own_cursor = cursor is None
    cursor = cursor or connection.cursor()
    try:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits "
            "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent "
            "JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "JOIN pg_namespace ns ON ns.oid = parent.relnamespace "
            "WHERE ns.nspname = %s AND parent.relname = %s", [schema_name, PARENT])
        months = []
        for (name,) in cursor.fetchall():
            match = _NAME.match(name)
            if match:
                months.append(dt.date(int(match[1]), int(match[2]), 1))
        return sorted(months)
    finally:
        if own_cursor:
            cursor.close()


def partitions_ensure(schema_name: str, *, today: dt.date, months_ahead: int,
                      cursor=None) -> list[dt.date]:
    """This month's partition and the next `months_ahead`; the months created."""
    current = month_start(today)
    return [month for month in (month_add(current, n) for n in range(months_ahead + 1))
            if partition_create(schema_name, month, cursor=cursor)]


def partitions_drop_before(schema_name: str, *, cutoff: dt.date, cursor=None) -> list[dt.date]:
    """Drop every partition whose month ended on or before `cutoff`; the months dropped."""
    own_cursor = cursor is None
    cursor = cursor or connection.cursor()
    try:
        dropped = []
        for month in partitions_of(schema_name, cursor=cursor):
            if month_add(month, 1) <= cutoff:
                cursor.execute(
                    f"DROP TABLE IF EXISTS {_schema(schema_name)}.{partition_name(month)}")
                dropped.append(month)
        return dropped
    finally:
        if own_cursor:
            cursor.close()
