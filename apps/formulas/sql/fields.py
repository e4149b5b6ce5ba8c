"""Reading mirror fields: Airtable field types to guarded SQL expressions."""

from dataclasses import dataclass

from ..errors import NotCompilable
from ..fieldtypes import (
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
    primary_text_sql,
)
from .core import Sql, as_text, build, iso_to_timestamp, quote_literal


@dataclass(frozen=True)
class FieldSpec:
    """A mirrored field: its Airtable name, type and options (as the metadata API gives them)."""

    name: str
    type: str
    options: dict | None = None
    # For a link field: where its linked records are, so formulas see their primary values.
    link: "LinkTarget | None" = None

    @property
    def result_type(self):
        """For formula, rollup and lookup fields, the type of the computed value."""
        result = (self.options or {}).get("result") or {}
        return result.get("type")


@dataclass(frozen=True)
class LinkTarget:
    """The mirror rows of a link field's linked table: rows of ``table`` whose
    ``scope_column`` is ``scope``, found by ``record_id``, their values in ``fields``;
    ``primary`` is the linked table's primary field."""

    table: str
    scope: int | str
    primary: "FieldSpec"
    scope_column: str = "table_id"


def column_ref(column, table_alias):
    return f"{table_alias}.{column}" if table_alias else column


def read_field(spec, column_sql):
    """The value of field ``spec`` as an :class:`Sql`, never failing on malformed JSON."""
    value = f"{column_sql}->{quote_literal(spec.name)}"
    kind = field_type(spec.type).value
    if kind in (RESULT, LOOKUP):
        return _read_computed(spec, value)
    if kind == LINKS and spec.link is not None:
        return _read_link_names(spec, value)
    return _read_plain(spec.type, value, spec.name)


def _read_plain(type_name, value, name):
    kind = field_type(type_name).value
    if kind in (TEXT, SELECT):
        return _text(value)
    if kind == NUMBER:
        return _number(value)
    if kind == CHECKBOX:
        return Sql(
            f"(CASE WHEN jsonb_typeof({value}) = 'boolean' THEN ({value})::boolean END)",
            kind="bool",
        )
    if kind == DATE:
        return Sql(_text(value).sql, kind="datestr", source=f"({value} #>> '{{}}')")
    if kind in (SELECTS, LINKS):
        # A link field without a LinkTarget is read as the values it stores.
        return _array(value, "text")
    raise NotCompilable(f"field {{{name}}} of type {type_name}")


def _link_rows(spec, value):
    """FROM clause of the linked rows of ``value`` (a jsonb array of ids), in link order."""
    target = spec.link
    # LATERAL: each linked record is one look-up by (scope, record_id), never a hash join
    # over the whole linked table (the planner guesses 100 elements per array; LIMIT 1
    # keeps it from flattening the look-up into one).
    return (
        f"FROM jsonb_array_elements_text({value}) WITH ORDINALITY AS _link(id, ord)"
        f" LEFT JOIN LATERAL (SELECT _row.fields FROM {target.table} AS _row"
        f" WHERE _row.{target.scope_column} = {_scope_literal(target.scope)}"
        f" AND _row.record_id = _link.id LIMIT 1) AS _linked ON TRUE"
    )


def _scope_literal(scope):
    if isinstance(scope, int) and not isinstance(scope, bool):
        return str(scope)
    return quote_literal(str(scope))


def linked_primary_text(spec):
    """Text SQL of what a link to a linked row (``_linked``) shows: its primary value as
    text in the primary field's own formats; NotCompilable when SQL cannot show it."""
    primary = spec.link.primary
    shown = primary_text_sql(primary.type, primary.options,
                             f"_linked.fields->{quote_literal(primary.name)}")
    if shown is None:
        raise NotCompilable(f"links of {{{spec.name}}} show a {primary.type} primary field")
    return shown


def _read_link_names(spec, value):
    """A link field as formulas see it: the linked records' primary values, in link order
    (a linked record the mirror does not hold shows as empty text)."""
    name = linked_primary_text(spec)
    return Sql(
        f"(CASE WHEN jsonb_typeof({value}) = 'array' AND jsonb_array_length({value}) > 0"
        f" THEN (SELECT jsonb_agg(COALESCE({name}, '') ORDER BY _link.ord)"
        f" {_link_rows(spec, value)}) END)",
        kind="array",
        element="text",
    )


def _text(value):
    return Sql(
        f"(CASE WHEN jsonb_typeof({value}) = 'string' THEN {value} #>> '{{}}' END)", kind="text"
    )


def _number(value):
    return Sql(
        f"(CASE WHEN jsonb_typeof({value}) = 'number' THEN ({value})::float8 END)", kind="number"
    )


def _array(value, element):
    return Sql(
        f"(CASE WHEN jsonb_typeof({value}) = 'array' THEN {value} END)",
        kind="array",
        element=element,
    )


def _read_computed(spec, value):
    result = spec.result_type
    if result is None:
        raise NotCompilable(f"field {{{spec.name}}} has no result type")
    kind = field_type(result).value
    # Formula and rollup values may be Airtable errors: {"error": "#ERROR!"}.
    err = Sql(f"COALESCE(jsonb_typeof({value}) = 'object' AND {value} ? 'error', FALSE)")
    if spec.type == "multipleLookupValues":
        if kind in (TEXT, SELECT, DATE, SELECTS, LINKS):
            return _array(value, "text")
        if kind == NUMBER:
            return _array(value, "number")
        raise NotCompilable(f"lookup {{{spec.name}}} of {result} values")
    if kind == NUMBER:
        number = (
            f"(CASE jsonb_typeof({value}) WHEN 'number' THEN ({value})::float8"
            f" WHEN 'object' THEN (CASE {value}->>'specialValue' WHEN 'NaN' THEN 'NaN'::float8"
            " WHEN 'Infinity' THEN 'Infinity'::float8"
            " WHEN '-Infinity' THEN '-Infinity'::float8 END) END)"
        )
        return Sql(number, kind="number", nan=True, err=err)
    if kind in (TEXT, SELECT):
        return Sql(_text(value).sql, kind="text", err=err)
    if kind == DATE:
        return Sql(_text(value).sql, kind="datestr", err=err, source=f"({value} #>> '{{}}')")
    if kind == CHECKBOX:
        plain = _read_plain("checkbox", value, spec.name)
        return Sql(plain.sql, kind="bool", err=err)
    if kind == LOOKUP:
        # A formula whose values are lists of text (observed so by the mirror).
        return _array(value, "text")
    raise NotCompilable(f"field {{{spec.name}}} with {result} results")


def object_label(value):
    """Text SQL of the label an object value (collaborator, attachment, barcode) sorts by."""
    return (f"COALESCE({value}->>'name', {value}->>'filename', {value}->>'text',"
            f" {value}->>'email')")


def _sort_text(text_sql):
    """A list item as sortable text: ``'1'``, the text with chr(1) and chr(2) escaped (as
    chr(2) chr(2) and chr(2) chr(3), which keeps their order), then chr(1) to end it. Items
    so written one after the other compare (``COLLATE "C"``) as the lists do: item by
    item, an item that is the start of another first, a list that is the start of another
    first."""
    return (f"'1' || replace(replace({text_sql}, chr(2), chr(2) || chr(3)), chr(1), "
            "chr(2) || chr(2)) || chr(1)")


def link_sort_key(spec, column_sql):
    """Text a link field sorts by (``COLLATE "C"``), NULL for no links. Airtable orders
    links by the linked records' primary values in link order, case folded, then as
    written: the key is every folded name, chr(1), then every name as written, each item
    written by ``_sort_text``, so that one text walked once per row holds both orders."""
    value = f"{column_sql}->{quote_literal(spec.name)}"
    name = f"COALESCE({linked_primary_text(spec)}, '')"
    return (
        f"(CASE WHEN jsonb_typeof({value}) = 'array' AND jsonb_array_length({value}) > 0"
        f" THEN (SELECT string_agg({_sort_text(f'lower({name})')}, '' ORDER BY _link.ord)"
        f" || chr(1) || string_agg({_sort_text(name)}, '' ORDER BY _link.ord)"
        f" {_link_rows(spec, value)}) END)"
    )


def text_order_key(text_sql):
    """Text as Airtable orders it: blank as NULL, case folded, by code point. The mirror's
    sorts by text and date fields use this expression and indexes are built on it, so a
    filter that bounds it can be served by those indexes."""
    return f'lower(NULLIF({text_sql}, \'\')) COLLATE "C"'


def sort_key(spec, column_sql):
    """ORDER BY expression for a field by its natural type."""
    value = f"{column_sql}->{quote_literal(spec.name)}"
    kind = field_type(spec.type)
    if kind.value == OBJECT and kind.label:
        path = f"->0->>'{kind.label}'" if kind.many else f"->>'{kind.label}'"
        return Sql(f'({value}{path} COLLATE "und-x-icu")')
    expr = read_field(spec, column_sql)
    if expr.kind == "datestr":
        return iso_to_timestamp(expr)
    if expr.kind == "array":
        return as_text(expr)
    if expr.kind == "text":
        return build('(@0 COLLATE "und-x-icu")', expr)
    return expr
