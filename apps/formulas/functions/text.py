"""Text functions (support.airtable.com, Formula field reference: Text functions)."""

import re
from collections import OrderedDict
from threading import Lock
from urllib.parse import quote

import re2

from ..values import ERROR, WHITESPACE, flatten, to_int, to_number, to_text
from . import function


def _count(value):
    number = to_number(value)
    return number if type(number) is not float else to_int(number)


@function("CONCATENATE", 1, variadic=True)
def concatenate(*values):
    return "".join(to_text(value) for value in values)


@function("LEFT", 2)
def left(value, count):
    count = _count(count)
    if type(count) is not int:
        return count
    return to_text(value)[: max(count, 0)]


@function("RIGHT", 2)
def right(value, count):
    count = _count(count)
    if type(count) is not int:
        return count
    text = to_text(value)
    return text[len(text) - count :] if count > 0 else ""


@function("MID", 3)
def mid(value, start, count):
    start, count = _count(start), _count(count)
    if type(start) is not int:
        return start
    if type(count) is not int:
        return count
    begin = max(start, 1) - 1
    return to_text(value)[begin : begin + max(count, 0)]


@function("LEN", 1)
def length(value):
    return float(len(to_text(value)))


@function("LOWER", 1)
def lower(value):
    return to_text(value).lower()


@function("UPPER", 1)
def upper(value):
    return to_text(value).upper()


@function("TRIM", 1)
def trim(value):
    return to_text(value).strip(WHITESPACE)


def _position(needle, haystack, start):
    """1-based position of ``needle`` at or after ``start``; 0 when absent."""
    start = 1 if start is None else _count(start)
    if type(start) is not int:
        return start
    start = max(start, 1)
    found = to_text(haystack)[start - 1 :].find(to_text(needle))
    return 0.0 if found < 0 else float(found + start)


@function("FIND", 2, 3)
def find(needle, haystack, start=None):
    return _position(needle, haystack, start)


@function("SEARCH", 2, 3)
def search(needle, haystack, start=None):
    # Same as FIND, but blank rather than 0 when there is no match.
    found = _position(needle, haystack, start)
    return None if found == 0 else found


@function("SUBSTITUTE", 3, 4)
def substitute(value, old, new, index=None):
    text, old, new = to_text(value), to_text(old), to_text(new)
    if not old:
        return text
    if index is None:
        return text.replace(old, new)
    index = _count(index)
    if type(index) is not int:
        return index
    if index < 1:
        return text
    position = -1
    for _ in range(index):
        position = text.find(old, position + 1)
        if position < 0:
            return text
    return text[:position] + new + text[position + len(old) :]


@function("REPLACE", 4)
def replace(value, start, count, new):
    start, count = _count(start), _count(count)
    if type(start) is not int:
        return start
    if type(count) is not int:
        return count
    text = to_text(value)
    begin = max(start, 1) - 1
    return text[:begin] + to_text(new) + text[begin + max(count, 0) :]


MAX_TEXT = 100_000


@function("REPT", 2)
def rept(value, count):
    count = _count(count)
    if type(count) is not int:
        return count
    text = to_text(value)
    if count <= 0 or not text:
        return ""
    if len(text) * count > MAX_TEXT:
        return ERROR
    return text * count


@function("T", 1)
def t(value):
    if type(value) is str:
        return value
    if type(value) is list:
        items = list(flatten(value))
        if items and all(type(item) is str for item in items):
            return to_text(items)
    return None


@function("ENCODE_URL_COMPONENT", 1)
def encode_url_component(value):
    # encodeURIComponent's unreserved set.
    return quote(to_text(value), safe="-_.!~*'()")


# Airtable's REGEX_* functions are RE2: linear time, no backreferences or lookarounds.
# Patterns come from any reader's filter, so both the engine and the cache are bounded.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.max_mem = 1 << 20  # per pattern: compiled program plus its DFA cache
PATTERN_CACHE_SIZE = 128
_PATTERNS: OrderedDict = OrderedDict()
_PATTERNS_LOCK = Lock()


def _regex(pattern):
    pattern = to_text(pattern)
    with _PATTERNS_LOCK:
        if pattern in _PATTERNS:
            _PATTERNS.move_to_end(pattern)
            return _PATTERNS[pattern]
    try:
        compiled = re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error:
        compiled = None
    with _PATTERNS_LOCK:
        _PATTERNS[pattern] = compiled
        while len(_PATTERNS) > PATTERN_CACHE_SIZE:
            _PATTERNS.popitem(last=False)
    return compiled


@function("REGEX_MATCH", 2)
def regex_match(value, pattern):
    regex = _regex(pattern)
    if regex is None:
        return ERROR
    return regex.search(to_text(value)) is not None


@function("REGEX_EXTRACT", 2)
def regex_extract(value, pattern):
    regex = _regex(pattern)
    if regex is None:
        return ERROR
    match = regex.search(to_text(value))
    return match.group(0) if match else ERROR


_BACKREFERENCE = re.compile(r"\$(\d+)|\$\{(\w+)\}|\\")


def _replacement(template):
    # Airtable (RE2) writes groups as $1; Python's re.sub wants \g<1>.
    def convert(match):
        if match.group(0) == "\\":
            return "\\\\"
        return f"\\g<{match.group(1) or match.group(2)}>"

    return _BACKREFERENCE.sub(convert, template)


@function("REGEX_REPLACE", 3)
def regex_replace(value, pattern, replacement):
    regex = _regex(pattern)
    if regex is None:
        return ERROR
    try:
        return regex.sub(_replacement(to_text(replacement)), to_text(value))
    except (re2.error, re.error, IndexError):
        return ERROR
