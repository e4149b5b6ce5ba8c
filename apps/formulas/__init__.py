"""Airtable's formula language: parser, Python evaluator and PostgreSQL compiler.

Public API::

    from apps.formulas import parse, evaluate, compile_sql, FormulaError, NotCompilable

    evaluate("IF({Qty} > 2, 'bulk', 'single')", {"Qty": 3})         # 'bulk'
    formula = parse("{Status} = 'Done'", fields=["Status", "Qty"])  # checks names
    sql, params = compile_filter(formula, field_map)                 # WHERE condition

See ``docs/formulas.md`` for the semantics, the function list and the SQL
contract, and :mod:`apps.formulas.sql` for the mirror table layout it expects.
"""

from .errors import FormulaError, NotCompilable
from .evaluator import compiled, evaluate
from .links import LinkedField, compute_linked_fields
from .parser import parse
from .references import field_text_equalities, last_modified_time_from_field
from .references import references as field_references
from .references import rewrite as field_references_rewrite
from .sql import FieldSpec, compile_filter, compile_sort_key, compile_sql
from .values import ErrorValue, is_truthy, to_airtable_json

__all__ = [
    "ErrorValue",
    "FieldSpec",
    "FormulaError",
    "LinkedField",
    "NotCompilable",
    "compile_filter",
    "compile_sort_key",
    "compile_sql",
    "compiled",
    "compute_linked_fields",
    "evaluate",
    "field_references",
    "field_references_rewrite",
    "field_text_equalities",
    "is_truthy",
    "last_modified_time_from_field",
    "parse",
    "to_airtable_json",
]
