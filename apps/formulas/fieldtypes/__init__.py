"""Airtable's field types, one class per type, registered by name.

Every layer asks the type itself instead of keeping its own list of names:
the sandbox (which types it can create, write, compute, use as a primary
field), the SQL compiler and the mirror's sorts (how a formula and a sort see
the stored value), the files import (how a cell's text becomes a value), the
grid and ``cellFormat=string`` (how a value is shown), and the meta API (what
a formula, rollup or lookup field holds).

```python
from apps.formulas.fieldtypes import field_type, shown_type

field_type("currency").value        # "number": how a formula sees it
field_type("rollup").computed       # True
shown_type("rollup", options)       # (result type, result options): what the values are
```
"""

from . import types  # noqa: F401  (fills the registry)
from .base import (
    CHECKBOX,
    DATE,
    LINKS,
    LOOKUP,
    NUMBER,
    OBJECT,
    RESULT,
    SELECT,
    SELECTS,
    TEXT,
    FieldType,
    display_text,
    field_type,
    field_types,
    primary_text,
    primary_text_sql,
    register,
    shown_type,
)
from .display import format_time, plain_number
from .results import infer_formula_result, infer_rollup_result, observed_result

__all__ = [
    "CHECKBOX",
    "DATE",
    "LINKS",
    "LOOKUP",
    "NUMBER",
    "OBJECT",
    "RESULT",
    "SELECT",
    "SELECTS",
    "TEXT",
    "FieldType",
    "display_text",
    "field_type",
    "field_types",
    "format_time",
    "infer_formula_result",
    "infer_rollup_result",
    "observed_result",
    "plain_number",
    "primary_text",
    "primary_text_sql",
    "register",
    "shown_type",
]
