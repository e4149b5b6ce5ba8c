"""List iterators: the frozen order of a listing, kept in Redis between pages.

Like Airtable, the first request of a listing fixes which records match and
in which order; later pages return the current values of those records.
An offset is ``itr<14>/rec<14>``: the iterator and the first record of the
next page. Iterators live for ITERATOR_TTL seconds after their last use.
"""

from __future__ import annotations

import re

from django_redis import get_redis_connection

from . import ids
from .exceptions import InvalidOffset, IteratorNotAvailable

ITERATOR_TTL = 600
OFFSET = re.compile(r"(itr[A-Za-z0-9]{14})/(rec[A-Za-z0-9]{14})")
_CHUNK = 5000


def _key(iterator_id: str) -> str:
    return f"sandbox:iterator:{iterator_id}"


def iterator_start(*, table_id: str, record_ids: list[str], first: int) -> str:
    """Keep ``record_ids`` for later pages; the offset of the page starting at ``first``."""
    iterator_id = ids.new_id(ids.ITERATOR)
    key = _key(iterator_id)
    redis = get_redis_connection("default")
    pipe = redis.pipeline(transaction=True)
    pipe.rpush(key, table_id)
    for start in range(0, len(record_ids), _CHUNK):
        pipe.rpush(key, *record_ids[start:start + _CHUNK])
    pipe.expire(key, ITERATOR_TTL)
    pipe.execute()
    return f"{iterator_id}/{record_ids[first]}"


def iterator_page(*, table_id: str, offset: str, size: int) -> tuple[list[str], str | None]:
    """The record ids of the page at ``offset`` and the offset after it (or None)."""
    match = OFFSET.fullmatch(offset)
    if match is None:
        raise InvalidOffset(f"The value of offset {offset[:60]!r} is invalid")
    iterator_id, record_id = match.groups()
    key = _key(iterator_id)
    redis = get_redis_connection("default")
    owner = redis.lindex(key, 0)
    if owner is None or owner.decode() != table_id:
        raise IteratorNotAvailable()
    position = redis.lpos(key, record_id, rank=1)
    if position is None or position == 0:
        raise IteratorNotAvailable()
    pipe = redis.pipeline(transaction=False)
    pipe.lrange(key, position, position + size)
    pipe.expire(key, ITERATOR_TTL)
    chunk, _ = pipe.execute()
    page = [item.decode() for item in chunk]
    following = f"{iterator_id}/{page[size]}" if len(page) > size else None
    return page[:size], following
