"""Tokenizer for Airtable's formula language."""

from dataclasses import dataclass

from .errors import FormulaError

OPERATORS = ("<=", ">=", "!=", "+", "-", "*", "/", "&", "=", "<", ">")
STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\"}
IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
IDENT_CHARS = IDENT_START | frozenset("0123456789")
DIGITS = frozenset("0123456789")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number, string, field, ident, op, (, ), ",", end
    value: object
    pos: tuple


def position(source, offset):
    """(line, column) of ``offset``, both 1-based."""
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


def tokenize(source):
    tokens = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
            continue
        start = i
        pos = position(source, start)
        if char in DIGITS or (char == "." and i + 1 < n and source[i + 1] in DIGITS):
            i = _scan_number(source, i)
            tokens.append(Token("number", float(source[start:i]), pos))
        elif char in "\"'":
            text, i = _scan_string(source, i)
            tokens.append(Token("string", text, pos))
        elif char == "{":
            name, i = _scan_braced_field(source, i)
            tokens.append(Token("field", name, pos))
        elif char in IDENT_START:
            while i < n and source[i] in IDENT_CHARS:
                i += 1
            tokens.append(Token("ident", source[start:i], pos))
        elif source.startswith(("//", "/*"), i):
            raise FormulaError("Comments are not allowed in formulas", pos)
        elif char in "(),":
            tokens.append(Token(char, char, pos))
            i += 1
        else:
            op = next((op for op in OPERATORS if source.startswith(op, i)), None)
            if op is None:
                raise FormulaError(f"Unexpected character {char!r}", pos)
            tokens.append(Token("op", op, pos))
            i += len(op)
    tokens.append(Token("end", None, position(source, n)))
    return tokens


def _scan_number(source, i):
    n = len(source)
    while i < n and source[i] in DIGITS:
        i += 1
    if i < n and source[i] == ".":
        i += 1
        while i < n and source[i] in DIGITS:
            i += 1
    if i < n and source[i] in "eE":
        j = i + 1
        if j < n and source[j] in "+-":
            j += 1
        if j < n and source[j] in DIGITS:
            i = j
            while i < n and source[i] in DIGITS:
                i += 1
    return i


def _scan_string(source, i):
    quote, start = source[i], i
    i += 1
    parts = []
    while i < len(source):
        char = source[i]
        if char == quote:
            return "".join(parts), i + 1
        if char == "\\" and i + 1 < len(source):
            # Unknown escapes keep their backslash, so regexes like "\d+" work.
            escaped = source[i + 1]
            parts.append(STRING_ESCAPES.get(escaped, "\\" + escaped))
            i += 2
            continue
        parts.append(char)
        i += 1
    raise FormulaError("Unterminated string", position(source, start))


def _scan_braced_field(source, i):
    start = i
    i += 1
    parts = []
    while i < len(source):
        char = source[i]
        if char == "}":
            name = "".join(parts)
            if not name:
                raise FormulaError("Empty field name {}", position(source, start))
            return name, i + 1
        # Airtable escapes a closing brace inside a field name as "\}".
        if char == "\\" and i + 1 < len(source) and source[i + 1] in "}\\":
            parts.append(source[i + 1])
            i += 2
            continue
        parts.append(char)
        i += 1
    raise FormulaError("Missing closing } for field name", position(source, start))
