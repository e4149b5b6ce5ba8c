"""Every write and rule of the chat."""

from .completion import prompt_complete
from .config import chat_settings_update, provider_config_resolve, provider_status
from .control import CancelToken
from .conversations import (
    conversation_create,
    conversation_delete,
    conversation_stop,
    conversation_update,
)
from .loop import Turn, turn_start

__all__ = [
    "CancelToken",
    "Turn",
    "chat_settings_update",
    "conversation_create",
    "conversation_delete",
    "conversation_stop",
    "conversation_update",
    "prompt_complete",
    "provider_config_resolve",
    "provider_status",
    "turn_start",
]
