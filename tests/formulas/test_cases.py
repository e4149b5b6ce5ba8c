"""The documented examples, evaluated in Python (no database)."""

import pytest

from apps.formulas import evaluate

from .cases import CASES, F
from .helpers import CONTEXT, same

RECORD = {**F, "Nested": [[1, 2], [3]], "Brace}d": "braced"}


@pytest.mark.parametrize(("formula", "expected"), CASES, ids=[formula for formula, _ in CASES])
def test_documented_example(formula, expected):
    actual = evaluate(formula, RECORD, **CONTEXT)
    assert same(actual, expected), f"{formula} gave {actual!r}, expected {expected!r}"


def test_table_is_large_enough():
    assert len(CASES) >= 300
