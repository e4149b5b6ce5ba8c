"""Numeric functions (support.airtable.com, Formula field reference: Numeric functions).

Rounding works on the shortest decimal spelling of a number (what Airtable
shows), so ROUND(1.005, 2) is 1.01 as a user expects, not 1.0.
"""

import math
import re
from datetime import datetime
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
)

from ..values import ErrorValue, flatten, parse_iso, to_int, to_number, to_text
from . import function

DECIMAL = Context(prec=800)
MAX_PRECISION = 350


def _numbers(values):
    return [
        float(v) for v in flatten(values) if type(v) is float or type(v) is int or type(v) is bool
    ]


def _decimal(number):
    return Decimal(repr(number))


def _unary(operation):
    def apply(value):
        number = to_number(value)
        if type(number) is ErrorValue:
            return number
        return operation(number)

    return apply


def _round(value, precision, mode):
    number, digits = to_number(value), to_number(precision)
    for item in (number, digits):
        if type(item) is ErrorValue:
            return item
    if not math.isfinite(number):
        return number
    digits = max(-MAX_PRECISION, min(MAX_PRECISION, to_int(digits)))
    quantum = Decimal(1).scaleb(-digits)
    return float(_decimal(number).quantize(quantum, rounding=mode, context=DECIMAL))


@function("ROUND", 1, 2)
def round_(value, precision=0.0):
    return _round(value, precision, ROUND_HALF_UP)


@function("ROUNDUP", 1, 2)
def roundup(value, precision=0.0):
    return _round(value, precision, ROUND_UP)


@function("ROUNDDOWN", 1, 2)
def rounddown(value, precision=0.0):
    return _round(value, precision, ROUND_DOWN)


def _to_multiple(value, significance, mode):
    number, step = to_number(value), to_number(significance)
    for item in (number, step):
        if type(item) is ErrorValue:
            return item
    if not math.isfinite(step):
        return math.nan
    if not math.isfinite(number):
        return number
    if step == 0:
        return 0.0
    step = _decimal(abs(step))
    units = (_decimal(number) / step).to_integral_value(rounding=mode, context=DECIMAL)
    return float(units * step)


@function("CEILING", 1, 2)
def ceiling(value, significance=1.0):
    return _to_multiple(value, significance, ROUND_CEILING)


@function("FLOOR", 1, 2)
def floor(value, significance=1.0):
    return _to_multiple(value, significance, ROUND_FLOOR)


@function("INT", 1)
@_unary
def int_(number):
    return float(math.floor(number)) if math.isfinite(number) else number


def _away_from_zero_to(number, parity):
    if not math.isfinite(number):
        return number
    magnitude = math.ceil(abs(number))
    if magnitude % 2 != parity:
        magnitude += 1
    return float(magnitude if number >= 0 else -magnitude)


@function("EVEN", 1)
@_unary
def even(number):
    return _away_from_zero_to(number, 0)


@function("ODD", 1)
@_unary
def odd(number):
    return _away_from_zero_to(number, 1)


@function("ABS", 1)
@_unary
def abs_(number):
    return abs(number)


@function("SQRT", 1)
@_unary
def sqrt(number):
    return math.sqrt(number) if number >= 0 else math.nan


@function("EXP", 1)
@_unary
def exp(number):
    try:
        return math.exp(number)
    except OverflowError:
        return math.inf


def js_log(number):
    if number != number or number < 0:
        return math.nan
    return -math.inf if number == 0 else math.log(number)


def js_divide(numerator, denominator):
    if denominator == 0:
        if numerator == 0 or numerator != numerator:
            return math.nan
        return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)
    return numerator / denominator


@function("LOG", 1, 2)
def log(value, base=10.0):
    number, base = to_number(value), to_number(base)
    for item in (number, base):
        if type(item) is ErrorValue:
            return item
    return js_divide(js_log(number), js_log(base))


@function("MOD", 2)
def mod(value, divisor):
    number, divisor = to_number(value), to_number(divisor)
    for item in (number, divisor):
        if type(item) is ErrorValue:
            return item
    if divisor == 0 or not math.isfinite(number) or divisor != divisor:
        return math.nan
    return math.fmod(number, divisor)


@function("POWER", 2)
def power(value, exponent):
    base, exponent = to_number(value), to_number(exponent)
    for item in (base, exponent):
        if type(item) is ErrorValue:
            return item
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf if base > 0 or exponent % 2 == 0 else -math.inf
    except ValueError:
        return math.inf if base == 0 else math.nan


@function("SUM", 1, variadic=True)
def sum_(*values):
    return float(sum(_numbers(values)))


@function("AVERAGE", 1, variadic=True)
def average(*values):
    numbers = _numbers(values)
    return sum(numbers) / len(numbers) if numbers else 0.0


def _extreme(values, pick):
    numbers = _numbers(values)
    if numbers:
        return pick(numbers)
    moments = [
        v if isinstance(v, datetime) else parse_iso(v)
        for v in flatten(values)
        if isinstance(v, (datetime, str)) and v
    ]
    moments = [m for m in moments if m is not None]
    return pick(moments) if moments else 0.0


@function("MAX", 1, variadic=True)
def max_(*values):
    return _extreme(values, max)


@function("MIN", 1, variadic=True)
def min_(*values):
    return _extreme(values, min)


@function("COUNT", 1, variadic=True)
def count(*values):
    return float(len(_numbers(values)))


@function("COUNTA", 1, variadic=True)
def counta(*values):
    return float(sum(1 for v in flatten(values) if v is not None and v != ""))


@function("COUNTALL", 1, variadic=True)
def countall(*values):
    return float(sum(1 for _ in flatten(values)))


_NOT_NUMERIC = re.compile(r"[^0-9.\-]")


@function("VALUE", 1)
def value(text):
    # Airtable drops currency signs, thousands separators and other decoration.
    if type(text) in (float, int, bool):
        return float(text)
    if text is None:
        return None
    if type(text) is list:
        return to_number(text)
    text = to_text(text)
    cleaned = _NOT_NUMERIC.sub("", text)
    if "-" in cleaned[1:]:
        cleaned = cleaned[0] + cleaned[1:].replace("-", "")
    try:
        return float(cleaned)
    except ValueError:
        return math.nan if text.strip() else None
