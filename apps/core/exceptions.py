"""Domain errors. They know nothing of HTTP beyond a status number; the one
exception handler in apps.core.handlers turns them into problem+json."""

from __future__ import annotations


class ApplicationError(Exception):
    code = "ERROR_APPLICATION"
    status = 400
    title = "Request failed"

    def __init__(self, detail: str | None = None, *, errors: dict | None = None,
                 headers: dict | None = None):
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        super().__init__(self.detail)


class ValidationFailed(ApplicationError):
    code = "ERROR_VALIDATION"
    status = 400
    title = "Invalid input"


class NotFound(ApplicationError):
    code = "ERROR_NOT_FOUND"
    status = 404
    title = "Not found"


class PermissionDenied(ApplicationError):
    code = "ERROR_PERMISSION_DENIED"
    status = 403
    title = "Permission denied"


class Conflict(ApplicationError):
    code = "ERROR_CONFLICT"
    status = 409
    title = "Conflict"


class DatabaseUnavailable(ApplicationError):
    """PostgreSQL cannot be reached (apps.core.handlers answers it, with Retry-After)."""

    code = "ERROR_DATABASE_UNAVAILABLE"
    status = 503
    title = "Service unavailable"


class RedisUnavailable(DatabaseUnavailable):
    """Redis cannot be reached where it must be (a write that must be seen, the queue)."""

    code = "ERROR_REDIS_UNAVAILABLE"


class TenantRequired(ApplicationError):
    code = "ERROR_TENANT_REQUIRED"
    status = 403
    title = "No tenant selected"


class TenantMismatch(ApplicationError):
    code = "ERROR_TENANT_MISMATCH"
    status = 403
    title = "Host and credential name different tenants"


class NotAMember(PermissionDenied):
    code = "ERROR_NOT_A_MEMBER"
    title = "Not a member of this tenant"


class ReadOnlyCredential(PermissionDenied):
    code = "ERROR_READ_ONLY"
    title = "This credential can only read"


class ManagerRequired(PermissionDenied):
    code = "ERROR_ROLE_REQUIRED"
    title = "Owner or admin role required"
