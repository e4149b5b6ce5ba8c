"""Array functions (support.airtable.com, Formula field reference: Array functions)."""

from ..values import flatten, to_int, to_number, to_text
from . import function


def _items(value):
    return value if type(value) is list else ([] if value is None else [value])


@function("ARRAYCOMPACT", 1)
def arraycompact(value):
    return [item for item in _items(value) if item is not None and item != ""]


@function("ARRAYFLATTEN", 1)
def arrayflatten(value):
    return list(flatten(_items(value)))


@function("ARRAYUNIQUE", 1)
def arrayunique(value):
    seen, unique = set(), []
    for item in _items(value):
        key = _key(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _key(item):
    if type(item) is list:
        return ("list", tuple(_key(part) for part in item))
    if type(item) is dict:
        return ("dict", to_text(item))
    return (type(item).__name__, item)


@function("ARRAYJOIN", 1, 2)
def arrayjoin(value, separator=", "):
    return to_text(separator).join(to_text(item) for item in flatten(_items(value)))


@function("ARRAYSLICE", 2, 3)
def arrayslice(value, start, end=None):
    items = _items(value)
    start = to_number(start)
    if type(start) is not float:
        return start
    start = to_int(start)
    begin = start - 1 if start > 0 else max(len(items) + start, 0)
    if end is None:
        return items[begin:]
    end = to_number(end)
    if type(end) is not float:
        return end
    end = to_int(end)
    stop = end if end > 0 else len(items) + end + 1
    return items[begin:stop]
