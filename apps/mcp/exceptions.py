from apps.core.exceptions import ApplicationError


class McpUnauthorized(ApplicationError):
    code = "ERROR_AUTHENTICATION_REQUIRED"
    status = 401
    title = "Authentication required"
