"""Templates in step params: `{{ trigger.record.fields.Name }}`, `{{ steps.find.records[0].id }}`.

Rendered by Jinja2's SandboxedEnvironment: no attribute starting with an underscore, no
calls of unsafe methods, no imports; what a template reads is the run's JSON (the trigger,
the input and earlier steps' outputs). A string that is exactly one expression keeps the
value's type (`"{{ steps.find.records }}"` is a list); any other string renders to text.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from .exceptions import StepFailed

_ONE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\}\}).)*)\}\}\s*$", re.S)
MAX_OUTPUT_CHARS = 1_000_000

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_env.filters["tojson"] = lambda value: json.dumps(value, ensure_ascii=False, default=str)


@lru_cache(maxsize=2048)
def _expression(source: str):
    return _env.compile_expression(source, undefined_to_none=False)


@lru_cache(maxsize=2048)
def _template(source: str):
    return _env.from_string(source)


def has_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def syntax_error(source: str) -> str | None:
    """Why a template cannot be compiled, or None."""
    try:
        match = _ONE_EXPRESSION.match(source)
        if match:
            _expression(match.group("expr"))
        else:
            _template(source)
    except TemplateError as error:
        return f"Template error: {error}"
    return None


def render(value: Any, scope: dict) -> Any:
    """`value` with every template string rendered against `scope`."""
    if isinstance(value, dict):
        return {key: render(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, scope) for item in value]
    if not has_template(value):
        return value
    try:
        match = _ONE_EXPRESSION.match(value)
        if match:
            result = _expression(match.group("expr"))(**scope)
            if hasattr(result, "__html__") or result.__class__.__module__.startswith("jinja2"):
                result = str(result)
            return result
        text = _template(value).render(**scope)
    except TemplateError as error:
        raise StepFailed("ERROR_TEMPLATE", f"Template {value[:200]!r}: {error}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError) as \
            error:
        raise StepFailed("ERROR_TEMPLATE", f"Template {value[:200]!r}: {error}") from None
    if len(text) > MAX_OUTPUT_CHARS:
        raise StepFailed("ERROR_TEMPLATE", "A template rendered more than a million characters.")
    return text
