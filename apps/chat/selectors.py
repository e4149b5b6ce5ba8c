"""Reads: conversations of a user, their messages, the tenant's chat settings and usage.

Every function runs in the caller's tenant schema (the request's, or a
`tenant_context` opened by the caller).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Q, Sum
from django.utils import timezone

from .exceptions import ConversationNotFound
from .models import ChatSettings, Conversation, DailyUsage, Message

SEARCH_MAX_CHARS = 200


def conversation_list(*, user_id: int, query: str | None = None):
    """The user's conversations, newest activity first; `query` matches titles and messages."""
    conversations = Conversation.objects.filter(user_id=user_id)
    if query:
        query = query[:SEARCH_MAX_CHARS]
        matching = Message.objects.filter(
            role__in=[Message.Role.USER, Message.Role.ASSISTANT],
            content__icontains=query).values("conversation_id")
        conversations = conversations.filter(Q(title__icontains=query) | Q(id__in=matching))
    return conversations.order_by("-updated_at")


def conversation_get(*, user_id: int, conversation_id) -> Conversation:
    """The user's conversation, or ConversationNotFound (also for anyone else's)."""
    conversation = Conversation.objects.filter(pk=conversation_id, user_id=user_id).first() \
        if _is_uuid(conversation_id) else None
    if conversation is None:
        raise ConversationNotFound("There is no such conversation.")
    return conversation


def _is_uuid(value) -> bool:
    if isinstance(value, uuid.UUID):
        return True
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def message_list(*, conversation: Conversation):
    return conversation.messages.order_by("position")


def chat_settings_get() -> ChatSettings:
    """The tenant's chat settings; an unsaved empty row when none were saved."""
    return ChatSettings.objects.order_by("pk").first() or ChatSettings()


def tokens_used_on(day: dt.date) -> int:
    totals = DailyUsage.objects.filter(day=day).aggregate(
        prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"))
    return (totals["prompt"] or 0) + (totals["completion"] or 0)


def usage_by_day(*, days: int = 30) -> list[dict]:
    """Tokens, cost, calls and turns per day, newest first, over the last `days` days."""
    since = timezone.now().date() - dt.timedelta(days=days - 1)
    rows = (DailyUsage.objects.filter(day__gte=since).values("day")
            .annotate(prompt_tokens=Sum("prompt_tokens"),
                      completion_tokens=Sum("completion_tokens"), cost=Sum("cost"),
                      calls=Sum("calls"), turns=Sum("turns"))
            .order_by("-day"))
    return list(rows)


def usage_by_model(*, day: dt.date) -> list[DailyUsage]:
    return list(DailyUsage.objects.filter(day=day).order_by("provider", "model"))
