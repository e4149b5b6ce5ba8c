"""Errors of the Airtable gateway, rendered as problem+json by apps.core.handlers."""

from __future__ import annotations

from apps.core.exceptions import ApplicationError, NotFound, ValidationFailed


class ConnectionNotFound(NotFound):
    code = "ERROR_CONNECTION_NOT_FOUND"
    title = "Airtable connection not found"


class BaseNotFound(NotFound):
    code = "ERROR_BASE_NOT_FOUND"
    title = "Base not found"


class TableNotFound(NotFound):
    code = "ERROR_TABLE_NOT_FOUND"
    title = "Table not found"


class FieldNotFound(NotFound):
    code = "ERROR_FIELD_NOT_FOUND"
    title = "Field not found"


class RecordNotFound(NotFound):
    code = "ERROR_RECORD_NOT_FOUND"
    title = "Record not found"


class SyncJobNotFound(NotFound):
    code = "ERROR_SYNC_JOB_NOT_FOUND"
    title = "Sync job not found"


class SchemaNotLoaded(ApplicationError):
    """A base that was discovered but whose tables were never read. The read
    services (services.reads) load the schema and ask again; a caller that used
    a selector directly gets this answer."""

    code = "ERROR_SCHEMA_NOT_LOADED"
    status = 503
    title = "The base's tables are not loaded yet"

    def __init__(self, detail: str | None = None, *, base=None):
        super().__init__(detail)
        self.base = base


class FormulaInvalid(ApplicationError):
    code = "ERROR_FORMULA_INVALID"
    status = 422
    title = "Invalid formula"


class QueryTimeout(ApplicationError):
    """A mirror query that ran past its time limit: the same query would again."""

    code = "ERROR_QUERY_TIMEOUT"
    status = 422
    title = "Query took too long"


class InvalidQuery(ValidationFailed):
    """A list or write request the gateway cannot accept (bad offset, unknown field...)."""


class AirtableError(ApplicationError):
    """Something Airtable (or the connection to it) answered. `airtable_type`
    is Airtable's own error type when it gave one."""

    airtable_type: str | None = None

    def __init__(self, detail: str | None = None, *, airtable_type: str | None = None,
                 errors: dict | None = None, headers: dict | None = None):
        super().__init__(detail, errors=errors, headers=headers)
        self.airtable_type = airtable_type


class AirtableUnavailable(AirtableError):
    code = "ERROR_AIRTABLE_UNAVAILABLE"
    status = 503
    title = "Airtable is unavailable"


class AirtableBadGateway(AirtableUnavailable):
    """Airtable answered with a server error or something that is not its API."""

    status = 502


class AirtableRateLimited(AirtableError):
    code = "ERROR_AIRTABLE_RATE_LIMITED"
    status = 429
    title = "Airtable rate limit reached"

    def __init__(self, detail: str | None = None, *, retry_after: float,
                 airtable_type: str | None = None):
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(detail, airtable_type=airtable_type,
                         headers={"Retry-After": str(seconds)})
        self.retry_after = seconds


class AirtableInvalidRequest(AirtableError):
    code = "ERROR_AIRTABLE_INVALID_REQUEST"
    status = 422
    title = "Airtable refused the request"


class AirtableAuthenticationFailed(AirtableError):
    """The connection's token was refused; not the caller's own credential, hence not 401."""

    code = "ERROR_AIRTABLE_AUTHENTICATION_FAILED"
    status = 400
    title = "Airtable refused the connection's token"


class AirtablePermissionDenied(AirtableError):
    code = "ERROR_AIRTABLE_PERMISSION_DENIED"
    status = 403
    title = "The connection's token may not do this"


class AirtableNotFound(AirtableError):
    code = "ERROR_NOT_FOUND"
    status = 404
    title = "Not found in Airtable"


class AirtableTokenUnreadable(AirtableError):
    """An operator dropped the key the token was encrypted with (see docs/airtable.md)."""

    code = "ERROR_AIRTABLE_TOKEN_UNREADABLE"
    status = 503
    title = "The connection's token cannot be decrypted"
