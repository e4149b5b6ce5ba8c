"""The result type of computed fields, as Airtable's metadata API gives it.

A formula's result is inferred from its syntax tree and the types of the fields
it reads (``ROUND({Amount} * {Probability}, 2)`` over a currency is a currency
of precision 2; ``IF(…, 0, 1)`` a number; ``MAX(values)`` over date-times a
date-time); a rollup's from its formula with ``values`` of the rolled-up
field's type; a lookup holds the looked-up field's values.
"""

from __future__ import annotations

from collections.abc import Callable

from ..ast import Binary, Boolean, Call, FieldRef, Number, String, Unary
from .base import CHECKBOX, DATE, NUMBER, field_type, shown_type

Result = tuple[str, dict | None]
TEXT_RESULT: Result = ("singleLineText", None)
DATE_TIME_OPTIONS = {"dateFormat": {"format": "YYYY-MM-DD", "name": "iso"},
                     "timeFormat": {"format": "HH:mm", "name": "24hour"}, "timeZone": "utc"}
DATE_OPTIONS = {"dateFormat": {"format": "YYYY-MM-DD", "name": "iso"}}

_WHOLE = frozenset({"INT", "CEILING", "FLOOR", "EVEN", "ODD"})
_ROUNDING = frozenset({"ROUND", "ROUNDUP", "ROUNDDOWN"})
_SAME_AS_FIRST = frozenset({"ABS"})
_AGGREGATES = frozenset({"SUM", "MAX", "MIN", "AVERAGE"})
_COUNTS = frozenset({"COUNT", "COUNTA", "COUNTALL", "LEN", "FIND", "SEARCH", "YEAR", "MONTH",
                     "DAY", "HOUR", "MINUTE", "SECOND", "WEEKDAY", "WEEKNUM", "DATETIME_DIFF",
                     "WORKDAY_DIFF", "AND", "OR", "XOR", "NOT", "ISERROR", "TRUE", "FALSE",
                     "IS_BEFORE", "IS_AFTER", "IS_SAME", "REGEX_MATCH"})
_DECIMALS = frozenset({"SQRT", "EXP", "LOG", "MOD", "POWER", "VALUE"})
_MOMENTS = frozenset({"NOW", "DATEADD", "DATETIME_PARSE", "SET_TIMEZONE", "SET_LOCALE",
                      "WORKDAY", "CREATED_TIME", "LAST_MODIFIED_TIME"})
_NUMERIC_TYPES = ("number", "currency", "percent", "duration")


def _number(precision: int = 0) -> Result:
    return ("number", {"precision": precision})


def _is_blank(node) -> bool:
    return (isinstance(node, Call) and node.name.upper() == "BLANK") or \
        (isinstance(node, String) and node.value == "")


def _numeric(result: Result) -> bool:
    return result[0] in _NUMERIC_TYPES


def _combine(results: list[Result], op: str | None = None) -> Result:
    """The type of arithmetic over ``results``: currency wins, then durations added, then
    percents, else a number as precise as the most precise operand."""
    numeric = [result for result in results if _numeric(result)]
    for result in numeric:
        if result[0] == "currency":
            return result
    if op in ("+", "-") and any(result[0] == "duration" for result in numeric):
        return next(result for result in numeric if result[0] == "duration")
    if numeric and all(result[0] == "percent" for result in numeric) and op != "/":
        return numeric[0]
    precision = max([(options or {}).get("precision", 0) if isinstance(
        (options or {}).get("precision", 0), int) else 0 for _type, options in numeric] or [0])
    return _number(max(precision, 2) if op == "/" else precision)


class _Inference:
    def __init__(self, resolve: Callable[[str], Result | None]):
        self.resolve = resolve

    def of(self, node) -> Result:
        if isinstance(node, Number):
            return _number(0 if float(node.value).is_integer() else 2)
        if isinstance(node, Boolean):
            return _number(0)
        if isinstance(node, String):
            return TEXT_RESULT
        if isinstance(node, FieldRef):
            return self.field(node.name)
        if isinstance(node, Unary):
            return _combine([self.of(node.operand)])
        if isinstance(node, Binary):
            if node.op == "&":
                return TEXT_RESULT
            if node.op in ("=", "!=", "<", ">", "<=", ">="):
                return _number(0)
            return _combine([self.of(node.left), self.of(node.right)], node.op)
        if isinstance(node, Call):
            return self.call(node.name.upper(), node.args)
        return TEXT_RESULT

    def field(self, name: str) -> Result:
        found = self.resolve(name)
        if found is None:
            return TEXT_RESULT
        type_name, options = shown_type(*found)
        kind = field_type(type_name)
        if kind.value == NUMBER:
            if type_name in ("rating", "autoNumber", "count"):
                return _number(0)
            return type_name if type_name in _NUMERIC_TYPES else "number", options
        if kind.value == CHECKBOX:
            return _number(0)
        if kind.value == DATE and not kind.many:
            if type_name == "date":
                return "date", options
            result = (options or {}).get("result") if kind.derived else None
            return "dateTime", (result or {}).get("options") if result else options
        return TEXT_RESULT

    def call(self, name: str, args: tuple) -> Result:
        if name == "IF" and len(args) >= 2:
            branches = [arg for arg in args[1:] if not _is_blank(arg)]
            return self.of(branches[0]) if branches else TEXT_RESULT
        if name == "SWITCH" and len(args) >= 3:
            results = [args[index] for index in range(2, len(args), 2)]
            if len(args) % 2 == 0:
                results.append(args[-1])
            results = [arg for arg in results if not _is_blank(arg)]
            return self.of(results[0]) if results else TEXT_RESULT
        if name in _COUNTS:
            return _number(0)
        if name in _ROUNDING and args:
            inner = _combine([self.of(args[0])])
            digits = args[1] if len(args) > 1 else None
            if isinstance(digits, Number) and float(digits.value).is_integer():
                precision = max(0, min(8, int(digits.value)))
            elif digits is None:
                precision = 0
            else:
                return inner
            return inner[0], {**(inner[1] or {}), "precision": precision}
        if name in _WHOLE and args:
            inner = _combine([self.of(args[0])])
            return inner[0], {**(inner[1] or {}), "precision": 0}
        if name in _SAME_AS_FIRST and args:
            return _combine([self.of(args[0])])
        if name in _AGGREGATES:
            results = [self.of(arg) for arg in args]
            if name in ("MAX", "MIN"):
                dates = [result for result in results if result[0] in ("date", "dateTime")]
                if dates and len(dates) == len(results):
                    return dates[0]
            combined = _combine(results)
            if name == "AVERAGE" and combined[0] == "number":
                return _number(2)
            return combined
        if name in _DECIMALS:
            return _number(2)
        if name in _MOMENTS:
            return "dateTime", dict(DATE_TIME_OPTIONS)
        if name == "TODAY":
            return "date", dict(DATE_OPTIONS)
        return TEXT_RESULT


def _result_json(result: Result) -> dict:
    type_name, options = result
    return {"type": type_name, "options": options} if options is not None else \
        {"type": type_name}


def infer_formula_result(root, resolve: Callable[[str], tuple[str, dict | None] | None]) -> dict:
    """``{"type", "options"?}`` of a formula whose syntax tree is ``root``; ``resolve(name)``
    gives ``(type, options)`` of the field a reference names (None if unknown)."""
    return _result_json(_Inference(resolve).of(root))


def infer_rollup_result(root, target: tuple[str, dict | None]) -> dict:
    """The result of a rollup formula (``root``) over the values of a ``target`` field."""
    return _result_json(_Inference(lambda name: target if name == "values" else None).of(root))


def observed_result(kinds: dict[str, int]) -> str | None:
    """The type a computed field's stored values show, from counts of their JSON kinds
    (``number``, ``boolean``, ``string``, ``date``, ``dateTime``, ``texts`` for lists of
    text, ``array``; objects, which are errors, do not count), or None when they show
    nothing definite. A formula over a lookup (``ARRAYUNIQUE({Lookup})``) holds lists of
    text whatever type it declares: it reads as a lookup of text."""
    seen = {kind for kind, count in kinds.items() if count and kind != "object"}
    if not seen:
        return None
    if seen == {"number"}:
        return "number"
    if seen == {"boolean"}:
        return "checkbox"
    if seen == {"dateTime"}:
        return "dateTime"
    if seen == {"date"}:
        return "date"
    if seen <= {"string", "date", "dateTime"}:
        return "singleLineText"
    if seen == {"texts"}:
        return "multipleLookupValues"
    return None
