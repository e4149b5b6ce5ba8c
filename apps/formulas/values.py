"""Formula values and Airtable's coercion rules.

Runtime representation:

========================  ==============================================
blank                     ``None`` (empty text ``""`` behaves the same)
number                    ``float`` (a JavaScript double, as in Airtable);
                          ``nan``/``inf`` are Airtable's special values
boolean                   ``bool``; Airtable's TRUE() *is* 1, so booleans
                          act as 1/0 in arithmetic, comparison and text
text                      ``str``
date/datetime             aware ``datetime``; date-only values sit at
                          midnight UTC
array (lookups, selects)  ``list``
collaborator, attachment  ``dict`` as in Airtable's JSON
error                     :class:`ErrorValue` (``#ERROR!``)
========================  ==============================================
"""

import json
import math
import re
from datetime import UTC, datetime
from decimal import Decimal

UTC = UTC

# JavaScript's String.prototype.trim() whitespace; TRIM and text->number use it.
WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# Decimal numerals without exponent (255 digits at most: PostgreSQL's regex
# limit); the SQL compiler uses the same pattern so both paths agree.
NUMERIC_TEXT = re.compile(r"[+-]?([0-9]{1,255}(\.[0-9]{0,255})?|\.[0-9]{1,255})")
ISO_DATETIME = re.compile(
    r"(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?"
)


class ErrorValue:
    """Airtable's ``#ERROR!``: a value that spreads through most operations."""

    __slots__ = ("reason",)

    def __init__(self, reason="#ERROR!"):
        self.reason = reason

    def __repr__(self):
        return f"ErrorValue({self.reason!r})"

    def __eq__(self, other):
        return isinstance(other, ErrorValue)

    def __hash__(self):
        return hash(ErrorValue)


ERROR = ErrorValue()


def from_json(value):
    """Turn a field value in Airtable's JSON shape into a runtime value."""
    kind = type(value)
    if kind is float or kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return float(value)
    if kind is list:
        return [from_json(item) for item in value]
    if kind is dict:
        if "error" in value:
            return ErrorValue(str(value["error"]))
        special = value.get("specialValue")
        if special is not None:
            return float(special)
        return value
    return value


def to_airtable_json(value):
    """The JSON a formula field shows for ``value`` (as Airtable's API returns it)."""
    if isinstance(value, ErrorValue):
        return {"error": value.reason}
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, float):
        if math.isnan(value):
            return {"specialValue": "NaN"}
        if math.isinf(value):
            return {"specialValue": "Infinity" if value > 0 else "-Infinity"}
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return format_iso(value)
    if isinstance(value, list):
        return [to_airtable_json(item) for item in value]
    if value == "":
        return None
    return value


def is_truthy(value):
    """filterByFormula truthiness: a record matches when this is true."""
    kind = type(value)
    if kind is bool:
        return value
    if kind is float or kind is int:
        return value != 0 and value == value
    if kind is str or kind is list:
        return len(value) > 0
    if value is None or kind is ErrorValue:
        return False
    return True


def flatten(values):
    for value in values:
        if type(value) is list:
            yield from flatten(value)
        else:
            yield value


def first_error(values):
    for value in values:
        if type(value) is ErrorValue:
            return value
    return None


# --- numbers -----------------------------------------------------------------


def text_to_number(text):
    """JavaScript ``Number(text)`` restricted to plain decimals: NaN otherwise."""
    stripped = text.strip(WHITESPACE)
    if not stripped:
        return 0.0
    if NUMERIC_TEXT.fullmatch(stripped):
        return float(stripped)
    return math.nan


def to_number(value):
    """Numeric coercion for arithmetic: blank is 0; returns ErrorValue if impossible."""
    kind = type(value)
    if kind is float:
        return value
    if value is None:
        return 0.0
    if kind is bool or kind is int:
        return float(value)
    if kind is str:
        return text_to_number(value)
    if kind is list:
        items = [item for item in flatten(value) if item is not None]
        if not items:
            return 0.0
        if len(items) == 1:
            return to_number(items[0])
        return ERROR
    if kind is ErrorValue:
        return value
    return ERROR


def to_int(number):
    """Integer argument (counts, positions): truncated and clamped, NaN is 0."""
    if number != number:
        return 0
    return int(max(-1e9, min(1e9, number)))


def number_to_text(number):
    """JavaScript's Number.prototype.toString(), which Airtable uses."""
    if number != number:
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign, digit_tuple, exponent = Decimal(repr(number)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len(digit_tuple) - len(digits)
    k = len(digits)
    n = exponent + k  # the decimal point sits after n digits
    prefix = "-" if sign else ""
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        body = f"{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return prefix + body


# --- text --------------------------------------------------------------------


def to_text(value):
    """Text coercion used by ``&`` and the text functions."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return ""
    if kind is float or kind is int:
        return number_to_text(float(value))
    if kind is bool:
        return "1" if value else "0"
    if kind is list:
        return ", ".join(to_text(item) for item in flatten(value))
    if isinstance(value, datetime):
        return format_iso(value)
    if kind is dict:
        return object_to_text(value)
    return str(value)


def object_to_text(obj):
    if "filename" in obj and "url" in obj:
        return f"{obj['filename']} ({obj['url']})"
    for key in ("name", "email", "text", "label"):
        if key in obj:
            return str(obj[key])
    return json.dumps(obj, sort_keys=True)


# --- dates -------------------------------------------------------------------


def parse_iso(text):
    """Parse the ISO 8601 forms Airtable stores; None when ``text`` isn't one."""
    if not ISO_DATETIME.fullmatch(text):
        return None
    try:
        if len(text) == 10:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_iso(moment):
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- comparison ----------------------------------------------------------------


def compare(op, left, right):
    """Airtable's ``= != < > <= >=`` over any two values."""
    kind_l, kind_r = type(left), type(right)
    if kind_l is float and kind_r is float:
        return _COMPARATORS[op](left, right)
    if kind_l is ErrorValue:
        return left
    if kind_r is ErrorValue:
        return right
    if kind_l is list:
        left, kind_l = to_text(left), str
    if kind_r is list:
        right, kind_r = to_text(right), str
    if isinstance(left, datetime) or isinstance(right, datetime):
        return _compare_dates(op, left, right)
    if kind_l is dict:
        left, kind_l = object_to_text(left), str
    if kind_r is dict:
        right, kind_r = object_to_text(right), str
    if kind_l in _NUMERIC_KINDS or kind_r in _NUMERIC_KINDS:
        left, right = _as_comparable_number(left), _as_comparable_number(right)
    else:
        left = "" if left is None else left
        right = "" if right is None else right
    return _COMPARATORS[op](left, right)


_NUMERIC_KINDS = (float, int, bool)


def _as_comparable_number(value):
    if value is None:
        return 0.0
    if type(value) is str:
        return text_to_number(value)
    return float(value)


def _compare_dates(op, left, right):
    left, right = coerce_date_for_compare(left), coerce_date_for_compare(right)
    if left is None and right is None:
        return op in ("=", "<=", ">=")
    if left is None or right is None:
        return op == "!="
    return _COMPARATORS[op](left, right)


def coerce_date_for_compare(value):
    if isinstance(value, datetime):
        return value
    if type(value) is str and value:
        return parse_iso(value)
    return None


_COMPARATORS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}
