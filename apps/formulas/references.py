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


def last_modified_time_from_field(formula, name: str):
    """``formula`` (parsed) with every LAST_MODIFIED_TIME() read from the field ``name``
    instead (as a date): the value of a last-modified-time field watching every field."""
    from . import ast

    def swap(node):
        if isinstance(node, ast.Call):
            if node.name.upper() == "LAST_MODIFIED_TIME" and not node.args:
                return ast.Call("DATETIME_PARSE", (ast.FieldRef(name, pos=node.pos),),
                                pos=node.pos)
            return ast.Call(node.name, tuple(swap(arg) for arg in node.args), pos=node.pos)
        if isinstance(node, ast.Unary):
            return ast.Unary(node.op, swap(node.operand), pos=node.pos)
        if isinstance(node, ast.Binary):
            return ast.Binary(node.op, swap(node.left), swap(node.right), pos=node.pos)
        return node

    return ast.Formula(source=formula.source, root=swap(formula.root),
                       field_names=formula.field_names | {name})


def field_text_equalities(formula) -> list[tuple[str, str]]:
    """(field name, text) of each ``{Field} = 'text'`` at the top of a parsed formula or
    of its top-level AND: conditions every matching record meets."""
    from . import ast

    def found(node):
        if isinstance(node, ast.Call) and node.name.upper() == "AND":
            return [item for arg in node.args for item in found(arg)]
        if isinstance(node, ast.Binary) and node.op == "=":
            for field, text in ((node.left, node.right), (node.right, node.left)):
                if isinstance(field, ast.FieldRef) and isinstance(text, ast.String):
                    return [(field.name, text.value)]
        return []

    return found(formula.root)
