"""Errors of workflows."""

from apps.core.exceptions import ApplicationError, Conflict, NotFound, ValidationFailed


class WorkflowNotFound(NotFound):
    code = "ERROR_WORKFLOW_NOT_FOUND"
    title = "Workflow not found"


class WorkflowRunNotFound(NotFound):
    code = "ERROR_WORKFLOW_RUN_NOT_FOUND"
    title = "Workflow run not found"


class WorkflowInvalid(ValidationFailed):
    pass


class WorkflowInactive(Conflict):
    code = "ERROR_WORKFLOW_INACTIVE"
    title = "The workflow is disabled"


class RunNotReplayable(Conflict):
    code = "ERROR_RUN_NOT_REPLAYABLE"
    title = "This run cannot be replayed"


class RunLimitReached(ApplicationError):
    code = "ERROR_WORKFLOW_LIMIT"
    status = 429
    title = "A workflow limit was reached"


class StepFailed(Exception):
    """A step ended in error: a stable code, a message, and whether a retry may help."""

    def __init__(self, code: str, message: str, *, retryable: bool = False,
                 retry_after: float | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after

    def as_json(self) -> dict:
        return {"code": self.code, "message": self.message}
