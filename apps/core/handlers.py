"""One place that turns every error into RFC 9457 problem+json."""

from __future__ import annotations

import logging
import sys

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .exceptions import ApplicationError, DatabaseUnavailable, RedisUnavailable

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

_DRF_CODES = {
    drf.NotAuthenticated: ("ERROR_AUTHENTICATION_REQUIRED", "Authentication required"),
    drf.AuthenticationFailed: ("ERROR_AUTHENTICATION_FAILED", "Authentication failed"),
    drf.PermissionDenied: ("ERROR_PERMISSION_DENIED", "Permission denied"),
    drf.NotFound: ("ERROR_NOT_FOUND", "Not found"),
    drf.MethodNotAllowed: ("ERROR_METHOD_NOT_ALLOWED", "Method not allowed"),
    drf.NotAcceptable: ("ERROR_NOT_ACCEPTABLE", "Not acceptable"),
    drf.UnsupportedMediaType: ("ERROR_UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"),
    drf.Throttled: ("ERROR_RATE_LIMITED", "Too many requests"),
    drf.ParseError: ("ERROR_MALFORMED_REQUEST", "Malformed request"),
    drf.ValidationError: ("ERROR_VALIDATION", "Invalid input"),
}


def problem(status: int, code: str, title: str, detail: str, *, errors=None) -> dict:
    body = {
        "type": f"https://docs.pyairtable.dev/errors#{code.lower()}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return body


def _validation_errors(detail) -> dict:
    """DRF's nested error detail flattened to {"field": ["message", ...]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for field, value in detail.items():
            if isinstance(value, dict):
                for sub, messages in _validation_errors(value).items():
                    flat[f"{field}.{sub}"] = messages
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub, messages in _validation_errors(item).items():
                        flat[f"{field}[{index}].{sub}"] = messages
            else:
                items = value if isinstance(value, list) else [value]
                flat[field] = [str(item) for item in items]
        return flat
    items = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(item) for item in items]}


def problem_exception_handler(exc, context):
    if isinstance(exc, RecursionError):
        # JSON nested deeper than the interpreter's stack, in parsing or in handling.
        exc = drf.ParseError("The JSON is nested too deeply.")
    elif isinstance(exc, OperationalError | InterfaceError):
        return _database_unavailable()
    elif isinstance(exc, ConnectionInterrupted | RedisError):
        return _redis_unavailable()
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        body = problem(exc.status, exc.code, exc.title, exc.detail, errors=exc.errors)
        headers.update(exc.headers)
        status = exc.status
    elif isinstance(exc, drf.APIException):
        code, title = next(
            (value for cls, value in _DRF_CODES.items() if isinstance(exc, cls)),
            ("ERROR_REQUEST_FAILED", "Request failed"),
        )
        if isinstance(exc, drf.ValidationError):
            errors = _validation_errors(exc.detail)
            body = problem(400, code, title, "One or more fields are invalid.", errors=errors)
        else:
            detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
            body = problem(exc.status_code, code, title, detail)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        status = exc.status_code
    else:
        return None
    set_rollback()
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _wants_problem(request) -> bool:
    return request.path.startswith(("/api/", "/mcp", "/sandbox/")) or \
        "application/json" in request.headers.get("Accept", "")


def _error(request, status: int, code: str, title: str, detail: str, template: str):
    if _wants_problem(request):
        return JsonResponse(problem(status, code, title, detail), status=status,
                            content_type=PROBLEM_CONTENT_TYPE)
    return render(request, template, {"status": status, "title": title, "detail": detail},
                  status=status)


def page_not_found(request, exception=None):
    return _error(request, 404, "ERROR_NOT_FOUND", "Not found",
                  "There is nothing at this address.", "errors/error.html")


def permission_denied(request, exception=None):
    return _error(request, 403, "ERROR_PERMISSION_DENIED", "Permission denied",
                  "You may not open this page.", "errors/error.html")


def bad_request(request, exception=None):
    return _error(request, 400, "ERROR_MALFORMED_REQUEST", "Bad request",
                  "The request could not be understood.", "errors/error.html")


DATABASE_RETRY_AFTER = "5"
DATABASE_DETAIL = "The database cannot be reached; try again shortly."


def _database_unavailable():
    response = JsonResponse(problem(503, DatabaseUnavailable.code, DatabaseUnavailable.title,
                                    DATABASE_DETAIL),
                            status=503, content_type=PROBLEM_CONTENT_TYPE)
    response["Retry-After"] = DATABASE_RETRY_AFTER
    return response


def _redis_unavailable():
    """What needs Redis (a cache write that must be seen, the job queue, the WebSocket
    layer) while it is away: a 503 to retry, not a crash. Reads fall back where they can."""
    logger.warning("Redis unreachable", exc_info=True)
    response = JsonResponse(problem(503, RedisUnavailable.code, RedisUnavailable.title,
                                    "A service the platform needs (Redis) cannot be reached; "
                                    "try again shortly."),
                            status=503, content_type=PROBLEM_CONTENT_TYPE)
    response["Retry-After"] = DATABASE_RETRY_AFTER
    return response


def server_error(request):
    """handler500, also for errors raised in middleware (the tenant lookup when PostgreSQL
    is down): an unreachable database is a 503, and an API path never gets an HTML page."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError) or (
            isinstance(error, DatabaseError) and "connection" in str(error).lower()):
        if _wants_problem(request):
            return _database_unavailable()
        response = _error(request, 503, DatabaseUnavailable.code, DatabaseUnavailable.title,
                          DATABASE_DETAIL, "errors/error.html")
        response["Retry-After"] = DATABASE_RETRY_AFTER
        return response
    if isinstance(error, ConnectionInterrupted | RedisError) and _wants_problem(request):
        return _redis_unavailable()
    return _error(request, 500, "ERROR_INTERNAL", "Internal error",
                  "Something went wrong on our side; it has been logged.", "errors/error.html")
