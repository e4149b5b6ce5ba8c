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

Each status becomes one response whose `code` is the enum of its codes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .exceptions import ApplicationError, ValidationFailed

PROBLEM_CONTENT_TYPE = "application/problem+json"
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
        classes += getattr(view, "error_classes", ())
        handler = getattr(view, self.method.lower(), None)
        classes += getattr(handler, "error_classes", ())
        return classes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        problem = self.resolve_serializer(Problem, "response").ref
        for status, codes in sorted(_codes_by_status(self.error_classes()).items()):
            if str(status) in responses:
                continue
            responses[str(status)] = {
                "description": ", ".join(codes),
                "content": {PROBLEM_CONTENT_TYPE: {"schema": {"allOf": [
                    problem, {"type": "object", "properties": {"code": {"enum": codes}}}]}}},
            }
        return responses
