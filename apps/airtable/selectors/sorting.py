"""ORDER BY keys for Airtable's sort on the mirror.

Airtable sorts blanks first when ascending (last when descending), numbers
numerically, text case-insensitively, single selects by the order of their
choices and multiple selects by their choices' positions, element by element,
links by the linked records' primary values, lookups by their values element
by element, attachments and collaborators by their file names and names;
equal values keep the default (creation) order. apps.sandbox implements the
same order (`field_types.sort_key`), and the mirror must answer exactly what
Airtable (or the sandbox) would. How each field type sorts comes from its
class in `apps.formulas.fieldtypes`; text is compared by its lower-case form
and then as is, both by code point.
"""

from __future__ import annotations

import hashlib
import json

from apps.formulas import FieldSpec, NotCompilable, compile_sort_key
from apps.formulas.fieldtypes import (
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
    field_type,
    shown_type,
)
from apps.formulas.sql import index_expression, link_sort_key, object_label, text_order_key

from ..models import Field

FIELD_TABLE = Field._meta.db_table


class Unsortable(Exception):
    """No exact ORDER BY for this field: answer the query from Airtable."""


def sql_literal(name: str) -> str:
    """A text as an SQL literal inside a statement run with parameters."""
    return "'" + name.replace("'", "''").replace("%", "%%") + "'"


def _text_key(spec: FieldSpec) -> tuple[list[str], list]:
    text = index_expression(spec.name, {spec.name: FieldSpec(spec.name, "singleLineText")})
    return [text_order_key(text), f"NULLIF({text}, '') COLLATE \"C\""], []


def _choices(spec: FieldSpec) -> list[str]:
    choices = (spec.options or {}).get("choices") or []
    return [str(choice.get("name")) for choice in choices if isinstance(choice, dict)]


def _items(value: str, item: str) -> str:
    """text[] or float8[] of a jsonb array's items (``item`` reads ``_i``), NULL if empty."""
    return (f"(CASE WHEN jsonb_typeof({value}) = 'array' AND jsonb_array_length({value}) > 0"
            f" THEN ARRAY(SELECT {item} FROM jsonb_array_elements({value}) WITH ORDINALITY"
            " AS _s(_i, _o) ORDER BY _o) END)")


def _lookup_keys(spec: FieldSpec, value: str) -> tuple[list[str], list]:
    result_type, _options = shown_type(spec.type, spec.options)
    kind = field_type(result_type).value
    # Immutable functions of the stored value (migration 0003), so an index can hold them.
    if kind == NUMBER:
        return [f"airtable_number_items({value})"], []
    if kind in (TEXT, SELECT, DATE):
        return [f'airtable_text_items({value}, true) COLLATE "C"',
                f'airtable_text_items({value}, false) COLLATE "C"'], []
    raise Unsortable(spec.name)


def _objects_last(value: str) -> str:
    """A formula's or rollup's errors and NaN or Infinity (objects in the JSON) sort after
    every value, as the sandbox sorts them."""
    return f"COALESCE(jsonb_typeof({value}) = 'object', FALSE)"


def _object_text(value: str) -> str:
    return f"(CASE WHEN jsonb_typeof({value}) = 'object' THEN lower(({value})::text) END) " \
        'COLLATE "C"'


def _result_keys(spec: FieldSpec) -> tuple[list[str], list]:
    result_type, _options = shown_type(spec.type, spec.options)
    shown = field_type(result_type).value
    if shown in (NUMBER, CHECKBOX):
        return sort_keys(FieldSpec(spec.name, result_type))
    if shown in (TEXT, SELECT, DATE):
        return _text_key(spec)
    if shown == LOOKUP:
        # A formula whose values are lists of text (observed so by the mirror).
        texts = FieldSpec(spec.name, "multipleLookupValues",
                          {"result": {"type": "singleLineText"}})
        return _lookup_keys(texts, f"fields -> {sql_literal(spec.name)}")
    raise Unsortable(spec.name)


# The form of the kept link keys; a change of form makes every kept key old.
LINK_KEY_FORM = 3


def link_key_version(spec: FieldSpec) -> str:
    """What a link field's kept sort key was made from: the linked table and its primary
    field as the mirror knows them. A row whose kept key has another version (the
    primary field renamed or retyped since) is sorted by the key made on the spot."""
    primary = spec.link.primary
    made_of = [LINK_KEY_FORM, spec.link.scope, primary.name, primary.type, primary.options]
    return hashlib.sha256(json.dumps(made_of, sort_keys=True, default=str).encode()
                          ).hexdigest()[:16]


def link_key_kept(spec: FieldSpec) -> str:
    return f"link_keys -> {sql_literal(spec.name)}"


def link_key_epoch(spec: FieldSpec, table_pk: int) -> tuple[str, list]:
    """SQL (and params) of the current epoch of link field ``spec`` of table ``table_pk``
    (read once per statement)."""
    return (f"(SELECT link_keys_epoch FROM {FIELD_TABLE} WHERE table_id = %s AND name = %s)",
            [table_pk, spec.name])


def link_key_current(spec: FieldSpec, table_pk: int) -> tuple[str, list]:
    """SQL condition (and params) that a row's kept key of link field ``spec`` (of table
    ``table_pk``) is current: made from the linked table and primary field as they are,
    and in the field's epoch."""
    kept = link_key_kept(spec)
    epoch, epoch_params = link_key_epoch(spec, table_pk)
    return (f"({kept} ->> 'v' = %s AND ({kept} ->> 'e')::bigint = {epoch})",
            [link_key_version(spec), *epoch_params])


def sort_keys(spec: FieldSpec, table_pk: int | None = None) -> tuple[list[str], list]:
    """SQL expressions (and their params) that order rows by `spec` ascending,
    NULL meaning blank; with the table's ``table_pk``, a link reads its kept keys."""
    kind = field_type(spec.type)
    value = f"fields -> {sql_literal(spec.name)}"
    shown = kind.value
    if shown == RESULT:
        keys, params = _result_keys(spec)
        return [_objects_last(value), *keys, _object_text(value)], params
    if shown in (NUMBER, CHECKBOX):
        try:
            sql, params = compile_sort_key(spec.name, {spec.name: spec})
        except NotCompilable as error:
            raise Unsortable(spec.name) from error
        return [sql], list(params)
    if shown in (TEXT, DATE):
        return _text_key(spec)
    if shown == SELECT:
        names = _choices(spec)
        return [f"(CASE WHEN jsonb_typeof({value}) = 'string' AND {value} #>> '{{}}' <> '' "
                f"THEN COALESCE(array_position(%s::text[], {value} #>> '{{}}'), %s) END)"], \
            [names, len(names)]
    if shown == SELECTS:
        names = _choices(spec)
        return [f"(CASE WHEN jsonb_typeof({value}) = 'array' AND jsonb_array_length({value}) > 0"
                f" THEN ARRAY(SELECT COALESCE(array_position(%s::text[], _c #>> '{{}}'), %s)"
                f" FROM jsonb_array_elements({value}) WITH ORDINALITY AS _s(_c, _o)"
                " ORDER BY _o) END)"], [names, len(names)]
    if shown == LINKS and spec.link is not None:
        try:
            live = link_sort_key(spec, "fields")
        except NotCompilable as error:
            raise Unsortable(spec.name) from error
        if table_pk is None:
            return [f'{live} COLLATE "C"'], []
        current, params = link_key_current(spec, table_pk)
        return [f"(CASE WHEN {current} THEN {link_key_kept(spec)} ->> 'k'"
                f' ELSE {live} END) COLLATE "C"'], params
    if shown == LOOKUP:
        return _lookup_keys(spec, value)
    if shown == OBJECT and kind.label:
        if kind.many:
            item = f"lower({object_label('_i')})"
            return [f'{_items(value, item)} COLLATE "C"'], []
        return [f"(CASE WHEN jsonb_typeof({value}) = 'object' THEN "
                f'lower({object_label(value)}) END) COLLATE "C"'], []
    raise Unsortable(spec.name)
