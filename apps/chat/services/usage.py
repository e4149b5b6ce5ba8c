"""Tokens and cost per day, and the tenant's daily token budget."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from ..exceptions import LLMBudgetExceeded
from ..models import ChatSettings, Conversation, DailyUsage
from ..selectors import tokens_used_on


def today() -> dt.date:
    return timezone.now().date()


def seconds_until_tomorrow() -> int:
    now = timezone.now()
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time.min,
                                   tzinfo=dt.UTC)
    return max(1, int((tomorrow - now).total_seconds()))


def budget_remaining(chat_settings: ChatSettings) -> int | None:
    """Tokens left today under the tenant's budget; None when there is no budget."""
    if chat_settings.daily_token_budget is None:
        return None
    return max(0, chat_settings.daily_token_budget - tokens_used_on(today()))


def budget_exceeded_error(chat_settings: ChatSettings) -> LLMBudgetExceeded:
    return LLMBudgetExceeded(
        f"This team has used its daily budget of {chat_settings.daily_token_budget:,} tokens. "
        "It renews at midnight UTC; an owner or admin can raise it in the chat settings.",
        headers={"Retry-After": str(seconds_until_tomorrow())})


def budget_check(chat_settings: ChatSettings) -> int | None:
    """Refuse a new turn once today's budget is spent; otherwise the tokens left (or None)."""
    remaining = budget_remaining(chat_settings)
    if remaining is not None and remaining <= 0:
        raise budget_exceeded_error(chat_settings)
    return remaining


def _today_row(provider: str, model: str) -> DailyUsage:
    row, _created = DailyUsage.objects.get_or_create(day=today(), provider=provider,
                                                     model=model[:200])
    return row


def usage_record(*, conversation: Conversation, provider: str, model: str, prompt_tokens: int,
                 completion_tokens: int, cost: Decimal) -> None:
    """Add one provider call to today's usage and to the conversation's totals."""
    row = _today_row(provider, model)
    DailyUsage.objects.filter(pk=row.pk).update(
        prompt_tokens=F("prompt_tokens") + prompt_tokens,
        completion_tokens=F("completion_tokens") + completion_tokens,
        cost=F("cost") + cost, calls=F("calls") + 1)
    Conversation.objects.filter(pk=conversation.pk).update(
        prompt_tokens=F("prompt_tokens") + prompt_tokens,
        completion_tokens=F("completion_tokens") + completion_tokens,
        cost=F("cost") + cost, updated_at=timezone.now())


def turn_record(*, provider: str, model: str) -> None:
    row = _today_row(provider, model)
    DailyUsage.objects.filter(pk=row.pk).update(turns=F("turns") + 1)
