"""ORDER BY keys for Airtable's sort on the mirror.

Airtable sorts blanks first when ascending (last when descending), numbers
numerically, text case-insensitively, single selects by the order of their
choices and multiple selects by their choices' positions, element by element;
equal values keep the default (creation) order. apps.sandbox implements the
same order (`field_types.sort_key`), and the mirror must answer exactly what
Airtable (or the sandbox) would. Numbers and checkboxes use
apps.formulas.compile_sort_key; text is compared by its lower-case form and
then as is, both by code point; fields whose order depends on other tables
(links, lookups) or on objects have no key here, so such a sort is read live.
"""

from __future__ import annotations

from apps.formulas import FieldSpec, NotCompilable, compile_sort_key
from apps.formulas.sql import index_expression, text_order_key

NUMERIC = frozenset({"number", "currency", "percent", "duration", "rating", "autoNumber",
                     "count", "checkbox"})
TEXTUAL = frozenset({"singleLineText", "multilineText", "richText", "email", "url",
                     "phoneNumber", "date", "dateTime", "createdTime", "lastModifiedTime"})
COMPUTED = frozenset({"formula", "rollup"})


class Unsortable(Exception):
    """No exact ORDER BY for this field: answer the query from Airtable."""


def _quote(name: str) -> str:
    return "'" + name.replace("'", "''").replace("%", "%%") + "'"


def _text_key(spec: FieldSpec) -> tuple[list[str], list]:
    text = index_expression(spec.name, {spec.name: FieldSpec(spec.name, "singleLineText")})
    return [text_order_key(text), f"NULLIF({text}, '') COLLATE \"C\""], []


def _choices(spec: FieldSpec) -> list[str]:
    choices = (spec.options or {}).get("choices") or []
    return [str(choice.get("name")) for choice in choices if isinstance(choice, dict)]


def sort_keys(spec: FieldSpec) -> tuple[list[str], list]:
    """SQL expressions (and their params) that order rows by `spec` ascending,
    NULL meaning blank."""
    kind = spec.type
    if kind in COMPUTED:
        result = spec.result_type
        if result in NUMERIC:
            kind = result
        elif result in TEXTUAL:
            return _text_key(spec)
        else:
            raise Unsortable(spec.name)
    if kind in NUMERIC:
        try:
            sql, params = compile_sort_key(spec.name, {spec.name: FieldSpec(spec.name, kind)})
        except NotCompilable as error:
            raise Unsortable(spec.name) from error
        return [sql], list(params)
    if kind in TEXTUAL:
        return _text_key(spec)
    value = f"fields -> {_quote(spec.name)}"
    if kind == "singleSelect":
        names = _choices(spec)
        return [f"(CASE WHEN jsonb_typeof({value}) = 'string' AND {value} #>> '{{}}' <> '' "
                f"THEN COALESCE(array_position(%s::text[], {value} #>> '{{}}'), %s) END)"], \
            [names, len(names)]
    if kind == "multipleSelects":
        names = _choices(spec)
        return [f"(CASE WHEN jsonb_typeof({value}) = 'array' AND jsonb_array_length({value}) > 0"
                f" THEN ARRAY(SELECT COALESCE(array_position(%s::text[], _c #>> '{{}}'), %s)"
                f" FROM jsonb_array_elements({value}) WITH ORDINALITY AS _s(_c, _o)"
                " ORDER BY _o) END)"], [names, len(names)]
    raise Unsortable(spec.name)
