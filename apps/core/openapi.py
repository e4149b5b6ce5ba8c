"""The OpenAPI document lists the problem+json answers of every operation.

An operation's errors come from three places, each as exception classes (so a
code is written once, on its class):

- what every authenticated operation may answer (401 no or a bad credential,
  400 two credentials, 403 another tenant's, ...), registered by the app that
  resolves callers (`common_errors_register`, from its AppConfig.ready());
- the view's permission classes (`error_classes` on each permission class);
- what the view's code raises, declared with `@raises(BaseNotFound, ...)` on the
  handler method or `error_classes = (...)` on the view (Baserow's
  `get_error_schema` idea).

On top of those, what the framework answers by itself: 404 on an operation with
path parameters or a cursor (an id or a cursor that names nothing), 503 on every
operation (the database or Redis unreachable, see apps.core.handlers).

Each status becomes one response whose description and `x-problem-codes` list the
codes known to the document. `code` stays an open string: a client must treat a code
it does not know by its status, so adding a code is not a breaking change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .exceptions import (
    ApplicationError,
    DatabaseUnavailable,
    NotFound,
    RedisUnavailable,
    ValidationFailed,
)
from .pagination import CursorInvalid

PROBLEM_CONTENT_TYPE = "application/problem+json"
NUL_FREE_PATTERN = r"^[^\u0000]*$"
# White space as str.isspace() (so DRF's trim_whitespace) has it, written out: a client's
# `\s` (ECMAScript's) is another set. tests/core/test_openapi.py holds it to str.isspace().
WHITE_SPACE = (r"\u0009\u000a\u000b\u000c\u000d\u001c\u001d\u001e\u001f\u0020\u0085\u00a0"
               r"\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
               r"\u2028\u2029\u202f\u205f\u3000")
TEXT_PATTERN = rf"^[^\u0000]*[^\u0000{WHITE_SPACE}][^\u0000]*$"
_common: list[type[ApplicationError]] = []


class RateLimited(ApplicationError):
    """Documents the throttles' answer (raised by DRF as Throttled, with Retry-After)."""

    code = "ERROR_RATE_LIMITED"
    status = 429
    title = "Too many requests"


class Problem(serializers.Serializer):
    """RFC 9457 problem details, with the platform's stable `code`."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   required=False, help_text="Field name to its messages.")


def common_errors_register(*classes: type[ApplicationError]) -> None:
    """Errors every authenticated operation may answer."""
    for cls in classes:
        if cls not in _common:
            _common.append(cls)


def raises(*classes: type[ApplicationError]):
    """Declare the domain errors a view method can answer, for the OpenAPI document."""

    def mark(method):
        method.error_classes = (*getattr(method, "error_classes", ()), *classes)
        return method

    return mark


def _codes_by_status(classes: Iterable[type[ApplicationError]]) -> dict[int, list[str]]:
    by_status: dict[int, list[str]] = defaultdict(list)
    for cls in classes:
        if cls.code not in by_status[cls.status]:
            by_status[cls.status].append(cls.code)
    return by_status


def _text_constraints(field: serializers.CharField, schema: dict) -> None:
    """What every CharField refuses: a NUL character, and (trimmed, not blank) text that
    is only white space. A field with a pattern or format of its own keeps it."""
    if schema.get("type") != "string" or {"pattern", "format", "enum"} & set(schema) or \
            any(isinstance(validator, RegexValidator) for validator in field.validators):
        return
    nonblank = field.trim_whitespace and not field.allow_blank
    schema["pattern"] = TEXT_PATTERN if nonblank else NUL_FREE_PATTERN
    if field.allow_blank:
        # drf-spectacular adds "" as a oneOf branch of its own: the text branch must not
        # match it too.
        schema.setdefault("minLength", 1)


def _list_constraints(field: serializers.ListSerializer, schema: dict) -> None:
    """What `many=True` checks itself, which drf-spectacular leaves out."""
    if schema.get("type") != "array":
        return
    if not field.allow_empty:
        schema.setdefault("minItems", 1)
    if field.max_length is not None:
        schema.setdefault("maxItems", field.max_length)
    if field.min_length is not None:
        schema["minItems"] = max(schema.get("minItems", 0), field.min_length)


class AutoSchema(SpectacularAutoSchema):
    def error_classes(self) -> list[type[ApplicationError]]:
        view = self.view
        classes: list[type[ApplicationError]] = []
        permissions = view.get_permissions()
        if not all(isinstance(permission, AllowAny) for permission in permissions):
            classes += _common
        for permission in permissions:
            for cls in getattr(permission, "error_classes", ()):
                if cls.code != "ERROR_READ_ONLY" or self.method not in ("GET", "HEAD"):
                    classes.append(cls)
        if view.get_throttles():
            classes.append(RateLimited)
        if self.method in ("POST", "PUT", "PATCH") or self._get_filter_parameters():
            classes.append(ValidationFailed)
        if "{" in self.path:
            # An id in the path that names nothing (the view's own class says which,
            # where it declares one).
            classes.append(NotFound)
        if self._is_paginated():
            classes.append(CursorInvalid)
        classes += getattr(view, "error_classes", ())
        handler = getattr(view, self.method.lower(), None)
        classes += getattr(handler, "error_classes", ())
        classes += [DatabaseUnavailable, RedisUnavailable]
        return classes

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and schema:
            if isinstance(field, serializers.CharField):
                _text_constraints(field, schema)
            elif isinstance(field, serializers.ListSerializer):
                _list_constraints(field, schema)
        return schema

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        if isinstance(serializer, dict):
            # A body written out as a schema is required when its every shape requires keys.
            shapes = serializer.get("oneOf") or [serializer]
            required = all(shape.get("required") for shape in shapes)
        return schema, required

    def _is_paginated(self) -> bool:
        return self.method == "GET" and self._is_list_view() and \
            self._get_paginator() is not None

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        problem = self.resolve_serializer(Problem, "response").ref
        for status, codes in sorted(_codes_by_status(self.error_classes()).items()):
            if str(status) in responses:
                continue
            responses[str(status)] = {
                "description": "Codes: " + ", ".join(codes),
                "content": {PROBLEM_CONTENT_TYPE: {"schema": problem}},
                "x-problem-codes": codes,
            }
        return responses
