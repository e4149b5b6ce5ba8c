"""Field references inside formula text, found and rewritten.

Stored formulas name their fields by id (`{fldXXXXXXXXXXXXXX}`), as Airtable's
metadata API shows them, so a renamed field keeps working. This scanner
follows the formula language's lexical rules (strings with backslash escapes,
`{braced names}` with `\\}` escapes, bare identifiers that are not function
calls nor TRUE/FALSE) so that only real references are touched.
"""

from __future__ import annotations

from collections.abc import Callable

_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT_CHARS = _IDENT_START | frozenset("0123456789")
_DIGITS = frozenset("0123456789")


def _scan(source: str):
    """Yield (start, end, name) for each field reference of ``source``."""
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char in "\"'":
            i += 1
            while i < n and source[i] != char:
                i += 2 if source[i] == "\\" else 1
            i += 1
        elif char == "{":
            start, i, parts = i, i + 1, []
            while i < n and source[i] != "}":
                if source[i] == "\\" and i + 1 < n and source[i + 1] in "}\\":
                    i += 1
                parts.append(source[i])
                i += 1
            i += 1
            yield start, min(i, n), "".join(parts)
        elif char in _DIGITS or (char == "." and i + 1 < n and source[i + 1] in _DIGITS):
            while i < n and (source[i] in _DIGITS or source[i] == "."):
                i += 1
            if i < n and source[i] in "eE":
                i += 1
                if i < n and source[i] in "+-":
                    i += 1
                while i < n and source[i] in _DIGITS:
                    i += 1
        elif char in _IDENT_START:
            start = i
            while i < n and source[i] in _IDENT_CHARS:
                i += 1
            name = source[start:i]
            rest = i
            while rest < n and source[rest].isspace():
                rest += 1
            is_call = rest < n and source[rest] == "("
            if not is_call and name.upper() not in ("TRUE", "FALSE"):
                yield start, i, name
        else:
            i += 1


def references(source: str) -> list[str]:
    """The field names (or ids) ``source`` refers to, in order of first use."""
    seen: dict[str, None] = {}
    for _start, _end, name in _scan(source):
        seen.setdefault(name, None)
    return list(seen)


def rewrite(source: str, replace: Callable[[str], str]) -> str:
    """``source`` with every reference ``name`` written as ``{replace(name)}``."""
    parts, last = [], 0
    for start, end, name in _scan(source):
        parts.append(source[last:start])
        escaped = replace(name).replace("\\", "\\\\").replace("}", "\\}")
        parts.append("{" + escaped + "}")
        last = end
    parts.append(source[last:])
    return "".join(parts)
