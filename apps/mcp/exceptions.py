from apps.core.exceptions import ApplicationError


class McpUnauthorized(ApplicationError):
    code = "ERROR_AUTHENTICATION_REQUIRED"
    status = 401
    title = "Authentication required"


class McpTaskNotFound(ApplicationError):
    code = "ERROR_TASK_NOT_FOUND"
    status = 404
    title = "No such task"


class McpTaskNotCancellable(ApplicationError):
    code = "ERROR_TASK_NOT_CANCELLABLE"
    status = 409
    title = "This task can't be cancelled"
