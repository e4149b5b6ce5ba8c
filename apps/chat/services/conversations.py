"""Conversations: start, rename, choose a model, delete, stop."""

from __future__ import annotations

from apps.core.exceptions import ValidationFailed

from ..exceptions import TurnInProgress
from ..models import Conversation
from ..providers import PROVIDERS
from ..selectors import conversation_get
from .config import MODEL_MAX_CHARS
from .control import TurnLock, turn_stop

TITLE_MAX_CHARS = 200


def _checked(*, title: str | None, provider: str | None, model: str | None) -> dict:
    fields = {}
    if title is not None:
        fields["title"] = title.strip()[:TITLE_MAX_CHARS]
    if provider is not None:
        if provider not in ("", *PROVIDERS):
            raise ValidationFailed("Unknown provider.", errors={
                "provider": [f"Use one of: {', '.join(PROVIDERS)}, or leave it empty."]})
        fields["provider"] = provider
    if model is not None:
        if len(model) > MODEL_MAX_CHARS:
            raise ValidationFailed("The model name is too long.", errors={
                "model": [f"Ensure this field has no more than {MODEL_MAX_CHARS} characters."]})
        fields["model"] = model.strip()
    return fields


def conversation_create(*, user_id: int, title: str = "", provider: str = "",
                        model: str = "") -> Conversation:
    return Conversation.objects.create(
        user_id=user_id, **_checked(title=title, provider=provider, model=model))


def conversation_update(*, user_id: int, conversation_id, title: str | None = None,
                        provider: str | None = None, model: str | None = None) -> Conversation:
    conversation = conversation_get(user_id=user_id, conversation_id=conversation_id)
    fields = _checked(title=title, provider=provider, model=model)
    for name, value in fields.items():
        setattr(conversation, name, value)
    conversation.save(update_fields=[*fields, "updated_at"])
    return conversation


def conversation_delete(*, tenant, user_id: int, conversation_id) -> None:
    """Delete a conversation and its messages; refused while it is answering."""
    conversation = conversation_get(user_id=user_id, conversation_id=conversation_id)
    lock = TurnLock(tenant.schema_name, conversation.pk)
    if not lock.acquire():
        raise TurnInProgress("Stop the answer before deleting the conversation.")
    try:
        conversation.delete()
    finally:
        lock.release()


def conversation_stop(*, tenant, user_id: int, conversation_id) -> bool:
    """Stop the answer running on the user's conversation; False when none is running."""
    conversation = conversation_get(user_id=user_id, conversation_id=conversation_id)
    return turn_stop(schema=tenant.schema_name, conversation_id=conversation.pk)
