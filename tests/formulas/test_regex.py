"""REGEX_* run on RE2 (Airtable's engine): linear time whatever the pattern, bounded cache."""

import time

from apps.formulas import evaluate, parse
from apps.formulas.functions import text
from apps.formulas.values import ErrorValue


def test_catastrophic_backtracking_pattern_answers_at_once():
    started = time.monotonic()
    for function in ("REGEX_MATCH", "REGEX_EXTRACT"):
        evaluate(parse(f"{function}(REPT('a', 5000) & 'b', '(a+)+$')"), {})
    replaced = evaluate(parse("REGEX_REPLACE(REPT('a', 40) & '!', '(a|aa)+!', 'x')"), {})
    assert replaced == "x"
    assert time.monotonic() - started < 1.0


def test_perl_only_syntax_is_an_error_as_in_airtable():
    for pattern in ("(a)\\\\1", "(?=a)", "(?<!a)b"):
        assert isinstance(evaluate(parse(f"REGEX_MATCH('aa', '{pattern}')"), {}), ErrorValue)


def test_a_pattern_too_big_for_its_memory_budget_is_an_error():
    assert isinstance(evaluate(parse("REGEX_MATCH('a', 'a{1000}{1000}')"), {}), ErrorValue)


def test_compiled_pattern_cache_stays_bounded():
    for index in range(text.PATTERN_CACHE_SIZE * 3):
        evaluate(parse(f"REGEX_MATCH('x{index}', 'x{index}$')"), {})
    assert len(text._PATTERNS) <= text.PATTERN_CACHE_SIZE
    assert evaluate(parse("REGEX_MATCH('x1', 'x1$')"), {}) is True
