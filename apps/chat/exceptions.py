"""Errors of the chat: refusals before a turn starts, and what can end a turn early."""

from apps.core.exceptions import ApplicationError, Conflict, NotFound, ValidationFailed


class ConversationNotFound(NotFound):
    code = "ERROR_CONVERSATION_NOT_FOUND"
    title = "Conversation not found"


class LLMNotConfigured(ApplicationError):
    code = "ERROR_LLM_NOT_CONFIGURED"
    status = 503
    title = "No language model is configured"


class LLMBudgetExceeded(ApplicationError):
    code = "ERROR_LLM_BUDGET_EXCEEDED"
    status = 429
    title = "Daily token budget spent"


class TurnInProgress(Conflict):
    code = "ERROR_CHAT_TURN_IN_PROGRESS"
    title = "This conversation is already answering"


class InvalidChatSettings(ValidationFailed):
    pass


class ProviderError(ApplicationError):
    """The provider failed a call; the turn ends with this error, persisted."""

    code = "ERROR_LLM_UNAVAILABLE"
    status = 502
    title = "The language model provider failed"


class ProviderAuthFailed(ProviderError):
    code = "ERROR_LLM_AUTH_FAILED"
    title = "The language model provider refused the API key"


class ProviderRateLimited(ProviderError):
    code = "ERROR_LLM_RATE_LIMITED"
    status = 503
    title = "The language model provider is rate limiting"


class ProviderTimeout(ProviderError):
    code = "ERROR_LLM_TIMEOUT"
    status = 504
    title = "The language model provider did not answer in time"


class ProviderRejected(ProviderError):
    code = "ERROR_LLM_REQUEST_REJECTED"
    title = "The language model provider rejected the request"


class ToolCallUnreadable(ProviderError):
    """The model asked for a tool with arguments that are not a JSON object."""

    code = "ERROR_LLM_BAD_TOOL_CALL"
    title = "The language model sent a tool call that cannot be read"


class ToolCrashed(ApplicationError):
    """A tool raised (a bug, logged by the registry); its step is kept, the turn ends."""

    code = "ERROR_TOOL_FAILED"
    status = 502
    title = "A tool failed"


class TurnLimitReached(ApplicationError):
    code = "ERROR_LLM_TURN_LIMIT"
    status = 422
    title = "The answer needed more steps or tokens than allowed"


class TurnCancelled(Conflict):
    code = "ERROR_CHAT_CANCELLED"
    title = "The answer was stopped"


class ChatFailed(ApplicationError):
    """A bug, not a provider's failure: logged, and the turn ends with this error."""

    code = "ERROR_CHAT_FAILED"
    status = 500
    title = "The answer failed"
