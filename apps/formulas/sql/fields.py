"""Reading mirror fields: Airtable field types to guarded SQL expressions."""

from dataclasses import dataclass

from ..errors import NotCompilable
from .core import Sql, as_text, build, iso_to_timestamp, quote_literal

TEXT_TYPES = frozenset(
    {
        "singleLineText",
        "multilineText",
        "richText",
        "email",
        "url",
        "phoneNumber",
        "singleSelect",
    }
)
NUMBER_TYPES = frozenset(
    {
        "number",
        "currency",
        "percent",
        "duration",
        "rating",
        "autoNumber",
        "count",
    }
)
DATE_TYPES = frozenset({"date", "dateTime", "createdTime", "lastModifiedTime"})
TEXT_ARRAY_TYPES = frozenset({"multipleSelects", "multipleRecordLinks"})
COMPUTED_TYPES = frozenset({"formula", "rollup", "multipleLookupValues"})


@dataclass(frozen=True)
class FieldSpec:
    """A mirrored field: its Airtable name, type and options (as the metadata API gives them)."""

    name: str
    type: str
    options: dict | None = None

    @property
    def result_type(self):
        """For formula, rollup and lookup fields, the type of the computed value."""
        result = (self.options or {}).get("result") or {}
        return result.get("type")


def column_ref(column, table_alias):
    return f"{table_alias}.{column}" if table_alias else column


def read_field(spec, column_sql):
    """The value of field ``spec`` as an :class:`Sql`, never failing on malformed JSON."""
    value = f"{column_sql}->{quote_literal(spec.name)}"
    if spec.type in COMPUTED_TYPES:
        return _read_computed(spec, value)
    return _read_plain(spec.type, value, spec.name)


def _read_plain(field_type, value, name):
    if field_type in TEXT_TYPES:
        return _text(value)
    if field_type in NUMBER_TYPES:
        return _number(value)
    if field_type == "checkbox":
        return Sql(
            f"(CASE WHEN jsonb_typeof({value}) = 'boolean' THEN ({value})::boolean END)",
            kind="bool",
        )
    if field_type in DATE_TYPES:
        return Sql(_text(value).sql, kind="datestr", source=f"({value} #>> '{{}}')")
    if field_type in TEXT_ARRAY_TYPES:
        return _array(value, "text")
    raise NotCompilable(f"field {{{name}}} of type {field_type}")


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
    # Formula and rollup values may be Airtable errors: {"error": "#ERROR!"}.
    err = Sql(f"COALESCE(jsonb_typeof({value}) = 'object' AND {value} ? 'error', FALSE)")
    if spec.type == "multipleLookupValues":
        if result in TEXT_TYPES or result in DATE_TYPES or result in TEXT_ARRAY_TYPES:
            return _array(value, "text")
        if result in NUMBER_TYPES:
            return _array(value, "number")
        raise NotCompilable(f"lookup {{{spec.name}}} of {result} values")
    if result in NUMBER_TYPES:
        number = (
            f"(CASE jsonb_typeof({value}) WHEN 'number' THEN ({value})::float8"
            f" WHEN 'object' THEN (CASE {value}->>'specialValue' WHEN 'NaN' THEN 'NaN'::float8"
            " WHEN 'Infinity' THEN 'Infinity'::float8"
            " WHEN '-Infinity' THEN '-Infinity'::float8 END) END)"
        )
        return Sql(number, kind="number", nan=True, err=err)
    if result in TEXT_TYPES:
        return Sql(_text(value).sql, kind="text", err=err)
    if result in DATE_TYPES:
        return Sql(_text(value).sql, kind="datestr", err=err, source=f"({value} #>> '{{}}')")
    if result == "checkbox":
        plain = _read_plain("checkbox", value, spec.name)
        return Sql(plain.sql, kind="bool", err=err)
    raise NotCompilable(f"field {{{spec.name}}} with {result} results")


OBJECT_SORT_KEYS = {
    "singleCollaborator": "->>'name'",
    "multipleCollaborators": "->0->>'name'",
    "multipleAttachments": "->0->>'filename'",
    "barcode": "->>'text'",
}


def text_order_key(text_sql):
    """Text as Airtable orders it: blank as NULL, case folded, by code point. The mirror's
    sorts by text and date fields use this expression and indexes are built on it, so a
    filter that bounds it can be served by those indexes."""
    return f'lower(NULLIF({text_sql}, \'\')) COLLATE "C"'


def sort_key(spec, column_sql):
    """ORDER BY expression for a field by its natural type."""
    value = f"{column_sql}->{quote_literal(spec.name)}"
    if spec.type in OBJECT_SORT_KEYS:
        return Sql(f'({value}{OBJECT_SORT_KEYS[spec.type]} COLLATE "und-x-icu")')
    expr = read_field(spec, column_sql)
    if expr.kind == "datestr":
        return iso_to_timestamp(expr)
    if expr.kind == "array":
        return as_text(expr)
    if expr.kind == "text":
        return build('(@0 COLLATE "und-x-icu")', expr)
    return expr
