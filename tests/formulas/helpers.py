"""Shared helpers: run the table's cases and compare values the way a user would."""

import math
from datetime import datetime

from apps.formulas import ErrorValue

from .cases import CREATED, ERR, MODIFIED, NAN, NOW

CONTEXT = {
    "record_id": "recABC123",
    "created_time": CREATED,
    "last_modified_time": MODIFIED,
    "now": NOW,
    "timezone": "UTC",
}


def same(actual, expected):
    """Equality with Airtable's blanks ('' is blank), errors and NaN."""
    if expected == ERR:
        return isinstance(actual, ErrorValue)
    if expected == NAN:
        return isinstance(actual, float) and math.isnan(actual)
    if expected is None or expected == "":
        return actual is None or actual == ""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(expected, (int, float)):
        return isinstance(actual, float) and (
            actual == expected or (math.isnan(actual) and math.isnan(expected))
        )
    if isinstance(expected, datetime):
        return isinstance(actual, datetime) and actual == expected
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(a, e) for a, e in zip(actual, expected))
        )
    return actual == expected
