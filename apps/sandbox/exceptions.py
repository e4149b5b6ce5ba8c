"""Errors of the sandbox, answered with Airtable's own bodies and status codes.

They are not `apps.core.exceptions.ApplicationError`s on purpose: clients of
the sandbox (pyairtable, the gateway) expect Airtable's JSON, not the
platform's problem+json, so the sandbox's views render them themselves.
"""

from __future__ import annotations


class SandboxError(Exception):
    status = 422
    type = "INVALID_REQUEST_UNKNOWN"
    message = "Invalid request: parameter validation failed. Check your request data."

    def __init__(self, message: str | None = None):
        if message is not None:
            self.message = message
        super().__init__(self.message)

    def body(self) -> dict:
        return {"error": {"type": self.type, "message": self.message}}


class AuthenticationRequired(SandboxError):
    status = 401
    type = "AUTHENTICATION_REQUIRED"
    message = "Authentication required"


class ModelNotFound(SandboxError):
    """Airtable answers 403 for a base or table that does not exist or is not the token's."""

    status = 403
    type = "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
    message = ("Invalid permissions, or the requested model was not found. Check that both "
               "your user and your token have the required permissions, and that the model "
               "names and/or ids are correct.")


class RouteNotFound(SandboxError):
    status = 404
    type = "NOT_FOUND"
    message = "Could not find what you are looking for"

    def body(self) -> dict:
        return {"error": "NOT_FOUND"}


class RecordNotFound(SandboxError):
    status = 404
    type = "MODEL_ID_NOT_FOUND"
    message = "Could not find the record"


class RequestTooLarge(SandboxError):
    status = 413
    type = "REQUEST_TOO_LARGE"
    message = "Request body is too large"


class InvalidRequest(SandboxError):
    pass


class InvalidValueForColumn(SandboxError):
    type = "INVALID_VALUE_FOR_COLUMN"


class UnknownFieldName(SandboxError):
    type = "UNKNOWN_FIELD_NAME"


class InvalidFilterByFormula(SandboxError):
    type = "INVALID_FILTER_BY_FORMULA"


class InvalidRecords(SandboxError):
    type = "INVALID_RECORDS"


class InvalidMultipleChoiceOptions(SandboxError):
    type = "INVALID_MULTIPLE_CHOICE_OPTIONS"


class RowDoesNotExist(SandboxError):
    type = "ROW_DOES_NOT_EXIST"


class InvalidOffset(SandboxError):
    type = "INVALID_OFFSET_VALUE"


class IteratorNotAvailable(SandboxError):
    type = "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"
    message = "The offset has expired or belongs to another request; list again from the start."


class ViewNotFound(SandboxError):
    type = "VIEW_NAME_NOT_FOUND"


class InvalidFieldOptions(SandboxError):
    type = "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"


class UnsupportedFieldType(SandboxError):
    type = "UNSUPPORTED_FIELD_TYPE_FOR_CREATE"


class DuplicateName(SandboxError):
    type = "DUPLICATE_OR_EMPTY_FIELD_NAME"


class DuplicateTableName(SandboxError):
    type = "DUPLICATE_TABLE_NAME"


class RateLimited(SandboxError):
    status = 429
    type = "RATE_LIMIT_REACHED"
    message = "Rate limit exceeded. Please try again later"

    def body(self) -> dict:
        return {"errors": [{"error": self.type, "message": self.message}]}


class ServiceUnavailable(SandboxError):
    status = 503
    type = "SERVICE_UNAVAILABLE"
    message = ("The server could not process your request in time. The server could be "
               "temporarily unavailable, or it could have timed out processing your request. "
               "You should retry the request with backoffs.")
