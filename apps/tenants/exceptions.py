from apps.core.exceptions import ApplicationError, Conflict, NotFound, ValidationFailed


class TenantSlugTaken(Conflict):
    code = "ERROR_TENANT_SLUG_TAKEN"
    title = "Tenant slug is taken"


class TenantSlugInvalid(ValidationFailed):
    code = "ERROR_TENANT_SLUG_INVALID"
    title = "Invalid tenant slug"


class TenantNotFound(NotFound):
    code = "ERROR_TENANT_NOT_FOUND"
    title = "Tenant not found"


class TenantInactive(ApplicationError):
    code = "ERROR_TENANT_INACTIVE"
    status = 403
    title = "Tenant is deactivated"
