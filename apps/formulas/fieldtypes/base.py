"""The field-type base class and its registry."""

from __future__ import annotations

from html import escape
from typing import ClassVar
from zoneinfo import ZoneInfo

from .display import UTC_ZONE, plain_text

# How a formula (and a sort) sees a field's value.
TEXT = "text"          # text
NUMBER = "number"      # a number (currency, percent and duration too)
CHECKBOX = "checkbox"  # true, or absent
DATE = "date"          # ISO 8601 text of a date or an instant
SELECT = "select"      # one choice's name; sorts by the order of the choices
SELECTS = "selects"    # a list of choice names
LINKS = "links"        # record ids, which formulas see as the linked records' primary values
LOOKUP = "lookup"      # a list of the looked-up field's values
RESULT = "result"      # a computed value of the type given by options.result
OBJECT = "object"      # objects (attachments, collaborators, barcodes, buttons)


MAX_CELL_TEXT = 120


class FieldType:
    """What the platform knows about one Airtable field type."""

    type: ClassVar[str] = ""
    value: ClassVar[str] = TEXT
    computed: ClassVar[bool] = False   # Airtable computes it: a written value is refused
    derived: ClassVar[bool] = False    # computed from the record itself, not from fields
    linked: ClassVar[bool] = False     # computed from linked records (lookup, rollup, count)
    creatable: ClassVar[bool] = True   # the sandbox can create a field of this type
    primary: ClassVar[bool] = False    # may be a table's primary field
    # For object values: the key whose text sorts and shows them (first item of a list).
    label: ClassVar[str | None] = None
    many: ClassVar[bool] = False       # a list of values

    @property
    def writable(self) -> bool:
        return not self.computed and self.creatable

    def import_value(self, value: object) -> object:
        """A file's cell (text, number or bool) as this field takes it without typecast;
        what cannot be turned is given as it is (and Airtable's refusal is reported)."""
        return value

    def display(self, value, options, *, zone, link_names, field_format) -> str:
        """``value`` as text (see :func:`apps.formulas.fieldtypes.display_text`)."""
        return plain_text(value, link_names)

    def display_sql(self, value: str, options) -> str | None:
        """:meth:`display` in the field's own formats as text SQL of ``value`` (SQL of the
        stored jsonb), NULL for a blank; None when PostgreSQL cannot say it exactly."""
        return None

    def display_html(self, value, options, *, link_names) -> str:
        """``value`` as escaped HTML for a grid cell, in the field's own formats (long
        values shortened to a cell's width)."""
        text = self.display(value, options, zone=None, link_names=link_names,
                            field_format=True)
        if len(text) > MAX_CELL_TEXT:
            text = text[:MAX_CELL_TEXT - 1] + "…"
        return escape(text)

    def __repr__(self) -> str:
        return f"<FieldType {self.type}>"


_REGISTRY: dict[str, FieldType] = {}


class _Unknown(FieldType):
    """A type this platform does not know (Airtable adds types): read-only, shown as text."""

    value = OBJECT
    computed = True
    creatable = False


def register(cls: type[FieldType]) -> type[FieldType]:
    _REGISTRY[cls.type] = cls()
    return cls


def field_type(name: object) -> FieldType:
    """The registered type ``name``; an unknown one is read-only and compiles nowhere."""
    found = _REGISTRY.get(name) if isinstance(name, str) else None
    if found is None:
        return _Unknown()
    return found


def field_types() -> list[FieldType]:
    return list(_REGISTRY.values())


def shown_type(type_name: str, options: dict | None) -> tuple[str, dict | None]:
    """The type whose values a field holds: its own, or for formula, rollup and lookup
    fields the result type of ``options.result`` (for a lookup, of each item)."""
    kind = field_type(type_name)
    if kind.value in (RESULT, LOOKUP):
        result = (options or {}).get("result") or {}
        if isinstance(result, dict) and isinstance(result.get("type"), str):
            return result["type"], result.get("options")
    return type_name, options


def display_text(type_name: str, options: dict | None, value: object, *,
                 zone: ZoneInfo | None = UTC_ZONE, link_names: dict[str, str] | None = None,
                 field_format: bool = False) -> str:
    """``value`` of a field of type ``type_name`` as Airtable shows it as text."""
    if value is None:
        return ""
    if isinstance(value, dict) and "error" in value:
        return str(value["error"])
    return field_type(type_name).display(value, options, zone=zone,
                                         link_names=link_names or {},
                                         field_format=field_format)


def primary_text(type_name: str, options: dict | None, value: object) -> str:
    """What a link to a record shows: the value of its primary field (of ``type_name``) as
    text, in the field's own formats (a date as the field's date format, a number by its
    precision)."""
    return display_text(type_name, options, value, zone=None, field_format=True)


def primary_text_sql(type_name: str, options: dict | None, value: str) -> str | None:
    """:func:`primary_text` as text SQL of ``value`` (SQL of the stored jsonb), NULL for a
    blank; None when PostgreSQL cannot say it exactly."""
    return field_type(type_name).display_sql(value, options)
