"""One class per Airtable field type."""

from __future__ import annotations

import math
import re
from html import escape
from urllib.parse import urlparse

from . import display_sql
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
    field_type,
    register,
    shown_type,
)
from .display import (
    duration_text,
    moment_text,
    number_text,
    percent_text,
    plain_number,
    plain_text,
)

_NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
_TRUE = frozenset({"true", "yes", "y", "1", "x", "checked", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "", "unchecked", "off"})


def _safe_url(url: object) -> str | None:
    """An http(s) URL escaped for an attribute, or None."""
    if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https"):
        return None
    return escape(url, quote=True)


# --- text -------------------------------------------------------------------------------------


class TextType(FieldType):
    value = TEXT
    primary = True

    def import_value(self, value):
        return value if isinstance(value, str) else str(value)

    def display(self, value, options, *, zone, link_names, field_format):
        return plain_text(value, link_names)

    def display_sql(self, value, options):
        return display_sql.json_text(value)


@register
class SingleLineTextType(TextType):
    type = "singleLineText"


class _LongTextType(TextType):
    def display_html(self, value, options, *, link_names):
        text = plain_text(value, link_names)
        # One line high in the grid; the whole text is the cell's title.
        return (f'<span class="cell-clamp" title="{escape(text)}" style="display:block;'
                'max-width:24em;overflow:hidden;white-space:nowrap;text-overflow:ellipsis">'
                f"{escape(' '.join(text.split()))}</span>")


@register
class MultilineTextType(_LongTextType):
    type = "multilineText"


@register
class RichTextType(_LongTextType):
    type = "richText"


@register
class EmailType(TextType):
    type = "email"


@register
class UrlType(TextType):
    type = "url"


@register
class PhoneNumberType(TextType):
    type = "phoneNumber"


@register
class BarcodeType(TextType):
    type = "barcode"
    value = OBJECT
    label = "text"

    def display_sql(self, value, options):
        return f"(CASE WHEN jsonb_typeof({value}) = 'object' THEN {value} ->> 'text' END)"


# --- numbers ----------------------------------------------------------------------------------


class NumberKind(FieldType):
    value = NUMBER
    primary = True

    def import_value(self, value):
        if not isinstance(value, str):
            return value
        cleaned = value.strip()
        if not _NUMBER_TEXT.match(cleaned):
            return value
        number = float(cleaned)
        if not math.isfinite(number):
            return value
        return int(cleaned) if _INTEGER_TEXT.match(cleaned) else number

    def display(self, value, options, *, zone, link_names, field_format):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return plain_text(value, link_names)
        return self.number_text(value, options)

    def number_text(self, value, options):
        return number_text(value, options)

    def display_sql(self, value, options):
        return self.number_sql(display_sql.json_number(value), options)

    def number_sql(self, number, options):
        """:meth:`number_text` as SQL of the float8 ``number``."""
        return display_sql.number_text(number, options)


@register
class NumberType(NumberKind):
    type = "number"


@register
class CurrencyType(NumberKind):
    type = "currency"

    def number_text(self, value, options):
        options = options or {}
        precision = options.get("precision")
        text = number_text(value, {"precision": precision if isinstance(precision, int)
                                   else 2})
        symbol = options.get("symbol", "$")
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"

    def number_sql(self, number, options):
        return display_sql.currency_text(number, options)


@register
class PercentType(NumberKind):
    type = "percent"

    def number_text(self, value, options):
        return percent_text(value, options)

    def number_sql(self, number, options):
        return display_sql.percent_text(number, options)


@register
class DurationType(NumberKind):
    type = "duration"

    def number_text(self, value, options):
        return duration_text(value, options)

    def number_sql(self, number, options):
        return display_sql.duration_text(number, options)


@register
class RatingType(NumberKind):
    type = "rating"

    def number_text(self, value, options):
        return plain_number(value)

    def number_sql(self, number, options):
        return display_sql.plain_number(number)


@register
class AutoNumberType(NumberKind):
    type = "autoNumber"
    computed = True
    derived = True

    def number_text(self, value, options):
        return plain_number(value)

    def number_sql(self, number, options):
        return display_sql.plain_number(number)


@register
class CountType(NumberKind):
    type = "count"
    computed = True
    linked = True
    primary = False

    def number_text(self, value, options):
        return plain_number(value)

    def number_sql(self, number, options):
        return display_sql.plain_number(number)


# --- checkbox, selects, dates -----------------------------------------------------------------


@register
class CheckboxType(FieldType):
    type = "checkbox"
    value = CHECKBOX

    def import_value(self, value):
        if not isinstance(value, str):
            return value
        lowered = value.strip().lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else value

    def display(self, value, options, *, zone, link_names, field_format):
        return "checked" if value is True or value == 1 else ""

    def display_html(self, value, options, *, link_names):
        return '<span class="cell-check" aria-label="checked">✓</span>' if value is True else ""


@register
class SingleSelectType(TextType):
    type = "singleSelect"
    value = SELECT
    primary = False


@register
class MultipleSelectsType(FieldType):
    type = "multipleSelects"
    value = SELECTS
    many = True

    def import_value(self, value):
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    def display(self, value, options, *, zone, link_names, field_format):
        return plain_text(value, {})


@register
class DateType(FieldType):
    type = "date"
    value = DATE
    primary = True

    def display(self, value, options, *, zone, link_names, field_format):
        if not isinstance(value, str):
            return plain_text(value, link_names)
        return moment_text(value, options, zone, with_time=False, field_format=field_format)

    def display_sql(self, value, options):
        return display_sql.moment_text(value, options, with_time=False)


@register
class DateTimeType(DateType):
    type = "dateTime"

    def display(self, value, options, *, zone, link_names, field_format):
        if not isinstance(value, str):
            return plain_text(value, link_names)
        return moment_text(value, options, zone, with_time=True, field_format=field_format)

    def display_sql(self, value, options):
        return display_sql.moment_text(value, options, with_time=True)


class _RecordTimeType(DateTimeType):
    computed = True
    derived = True

    def display(self, value, options, *, zone, link_names, field_format):
        result = (options or {}).get("result") or {}
        return super().display(value, result.get("options"), zone=zone, link_names=link_names,
                               field_format=field_format)

    def display_sql(self, value, options):
        result = (options or {}).get("result") or {}
        return super().display_sql(value, result.get("options"))


@register
class CreatedTimeType(_RecordTimeType):
    type = "createdTime"


@register
class LastModifiedTimeType(_RecordTimeType):
    type = "lastModifiedTime"


# --- objects and links ------------------------------------------------------------------------


@register
class AttachmentsType(FieldType):
    type = "multipleAttachments"
    value = OBJECT
    label = "filename"
    many = True

    def display(self, value, options, *, zone, link_names, field_format):
        if not isinstance(value, list):
            return plain_text(value, link_names)
        return ", ".join(f"{item.get('filename')} ({item.get('url')})" for item in value
                         if isinstance(item, dict))

    def display_html(self, value, options, *, link_names):
        if not isinstance(value, list):
            return escape(plain_text(value, link_names))
        shown = []
        for item in value:
            if not isinstance(item, dict):
                continue
            name = escape(str(item.get("filename") or "file"))
            url = _safe_url(item.get("url"))
            small = ((item.get("thumbnails") or {}).get("small") or {}).get("url")
            image = _safe_url(small) or (url if str(item.get("type", "")).startswith("image/")
                                         else None)
            if url is None:
                shown.append(name)
            elif image is not None:
                shown.append(f'<a class="cell-attachment" href="{url}" target="_blank" '
                             f'rel="noopener"><img src="{image}" alt="{name}" height="24" '
                             'loading="lazy"></a>')
            else:
                shown.append(f'<a class="cell-attachment" href="{url}" target="_blank" '
                             f'rel="noopener">{name}</a>')
        return " ".join(shown)


@register
class LinksType(FieldType):
    type = "multipleRecordLinks"
    value = LINKS
    many = True

    def display(self, value, options, *, zone, link_names, field_format):
        if not isinstance(value, list):
            return plain_text(value, link_names)
        return ", ".join(link_names.get(item, item) if isinstance(item, str) else
                         plain_text(item, {}) for item in value)

    def display_html(self, value, options, *, link_names):
        if not isinstance(value, list):
            return escape(plain_text(value, link_names))
        return " ".join(f'<span class="chip" data-record="{escape(item)}">'
                        f"{escape(link_names.get(item) or item)}</span>"
                        for item in value if isinstance(item, str))


class _CollaboratorType(FieldType):
    value = OBJECT
    label = "name"

    def display(self, value, options, *, zone, link_names, field_format):
        return plain_text(value, {})


@register
class SingleCollaboratorType(_CollaboratorType):
    type = "singleCollaborator"


@register
class MultipleCollaboratorsType(_CollaboratorType):
    type = "multipleCollaborators"
    many = True


@register
class CreatedByType(_CollaboratorType):
    type = "createdBy"
    computed = True
    creatable = False


@register
class LastModifiedByType(_CollaboratorType):
    type = "lastModifiedBy"
    computed = True
    creatable = False


@register
class ButtonType(FieldType):
    type = "button"
    value = OBJECT
    label = "label"
    computed = True
    creatable = False

    def display(self, value, options, *, zone, link_names, field_format):
        return value.get("label", "") if isinstance(value, dict) else plain_text(value, {})


@register
class ExternalSyncSourceType(SingleSelectType):
    type = "externalSyncSource"
    computed = True
    creatable = False


@register
class AiTextType(FieldType):
    type = "aiText"
    value = OBJECT
    label = "value"
    computed = True
    creatable = False

    def display(self, value, options, *, zone, link_names, field_format):
        return str(value.get("value") or "") if isinstance(value, dict) else ""


# --- computed from formulas and links ---------------------------------------------------------


class _ResultType(FieldType):
    """A formula or rollup: its values are of the type given by options.result."""

    value = RESULT
    computed = True

    def display(self, value, options, *, zone, link_names, field_format):
        result_type, result_options = shown_type(self.type, options)
        shown = field_type(result_type)
        if shown.value in (RESULT, LOOKUP):
            return plain_text(value, link_names)
        if isinstance(value, dict) and "specialValue" in value:
            return str(value["specialValue"])
        return shown.display(value, result_options, zone=zone, link_names=link_names,
                             field_format=field_format)

    def display_sql(self, value, options):
        result_type, result_options = shown_type(self.type, options)
        shown = field_type(result_type)
        inner = None if shown.value in (RESULT, LOOKUP) else \
            shown.display_sql(value, result_options)
        if inner is None:
            return None
        # Errors and NaN or Infinity show as their text, as display_text() does.
        return (f"(CASE WHEN jsonb_typeof({value}) = 'object' THEN COALESCE("
                f"{value} ->> 'error', {value} ->> 'specialValue') ELSE {inner} END)")


@register
class FormulaType(_ResultType):
    type = "formula"
    primary = True


@register
class RollupType(_ResultType):
    type = "rollup"
    linked = True


@register
class LookupType(FieldType):
    """A list of the looked-up field's values, each of options.result's type."""

    type = "multipleLookupValues"
    value = LOOKUP
    computed = True
    linked = True
    many = True

    def display(self, value, options, *, zone, link_names, field_format):
        if not isinstance(value, list):
            return plain_text(value, link_names)
        result_type, result_options = shown_type(self.type, options)
        shown = field_type(result_type)
        if shown.value in (RESULT, LOOKUP, LINKS):
            return plain_text(value, link_names)
        return ", ".join(shown.display(item, result_options, zone=zone, link_names=link_names,
                                       field_format=field_format) for item in value
                         if item is not None)
