"""Pages: the chat, and the team's chat settings and usage."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from apps.accounts.decorators import tenant_page
from apps.core.exceptions import ApplicationError

from . import selectors, services
from .exceptions import ConversationNotFound
from .forms import ChatSettingsForm
from .models import Message
from .pricing import price_table
from .providers import GEMINI, OPENAI
from .services.usage import budget_remaining, today

CONVERSATIONS_SHOWN = 100


def _model_choices(status: dict) -> list[dict]:
    """The models offered in the picker: the team default, the configured one, and the
    priced ones."""
    choices = [{"value": "", "label": "Team default" + (
        f" ({status['model']})" if status.get("configured") else "")}]
    seen = set()
    configured = status.get("model") if status.get("configured") else None
    names = ([configured] if configured else []) + sorted(price_table())
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        provider = GEMINI if name.startswith("gemini") else (
            status.get("provider") if name == configured else OPENAI)
        choices.append({"value": f"{provider}:{name}", "label": name})
    return choices


def _picker_value(conversation) -> str:
    if conversation is None or not conversation.model:
        return ""
    provider = conversation.provider or (GEMINI if conversation.model.startswith("gemini")
                                         else OPENAI)
    return f"{provider}:{conversation.model}"


def _steps(conversation) -> list[dict]:
    """The conversation as the page shows it: messages, with each tool result next to the
    call that asked for it."""
    rows = [m for m in selectors.message_list(conversation=conversation)
            if m.role != Message.Role.SYSTEM]
    arguments = {}
    for row in rows:
        for call in row.tool_calls or []:
            arguments[call.get("id")] = call.get("arguments")
    # An answer is shown with what its whole turn used (every model call of it), as the
    # page showed it live when the turn ended.
    turns: dict = {}
    for row in rows:
        if row.role == Message.Role.ASSISTANT and not row.error_code:
            turn = turns.setdefault(row.turn_id, {"tokens": 0, "cost": 0, "rounds": 0})
            turn["tokens"] += row.prompt_tokens + row.completion_tokens
            turn["cost"] += row.cost or 0
            turn["rounds"] += 1
            turn["last"] = row.pk
    steps = []
    for row in rows:
        if row.role == Message.Role.TOOL:
            steps.append({"kind": "tool", "message": row, "arguments": json.dumps(
                arguments.get(row.tool_call_id), ensure_ascii=False, indent=2),
                "result": json.dumps(row.tool_result, ensure_ascii=False, indent=2)})
        elif row.role == Message.Role.USER or row.content or row.error_code:
            turn = turns.get(row.turn_id) if row.role == Message.Role.ASSISTANT else None
            steps.append({"kind": row.role, "message": row,
                          "turn": turn if turn and turn["last"] == row.pk else None})
    return steps


@tenant_page
def chat(request, conversation_id=None):
    query = request.GET.get("q", "").strip()[:selectors.SEARCH_MAX_CHARS]
    conversations = selectors.conversation_list(user_id=request.user.pk,
                                                query=query or None)[:CONVERSATIONS_SHOWN]
    conversation = None
    steps = []
    if conversation_id is not None:
        try:
            conversation = selectors.conversation_get(user_id=request.user.pk,
                                                      conversation_id=conversation_id)
        except ConversationNotFound:
            raise Http404("No such conversation.") from None
        steps = _steps(conversation)
    status = services.provider_status()
    return render(request, "chat/chat.html", {
        "conversations": conversations, "conversation": conversation, "steps": steps,
        "q": query, "status": status, "models": _model_choices(status),
        "current_model": _picker_value(conversation), "can_manage": request.membership.can_manage,
    })


@tenant_page
def chat_settings(request):
    row = selectors.chat_settings_get()
    can_manage = request.membership.can_manage
    form = ChatSettingsForm(request.POST or None, initial={
        "provider": row.provider, "model": row.model, "base_url": row.base_url,
        "daily_token_budget": row.daily_token_budget})
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only owners and admins can change the chat settings.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.chat_settings_update(
                    actor_id=request.user.pk, provider=data["provider"], model=data["model"],
                    base_url=data["base_url"], api_key=data["api_key"] or None,
                    clear_api_key=data["clear_api_key"],
                    daily_token_budget=data["daily_token_budget"])
            except ApplicationError as error:
                for field, problems in (error.errors or {}).items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
                if not error.errors:
                    form.add_error(None, error.detail)
            else:
                messages.success(request, "Chat settings saved.")
                return redirect("chat-settings")
    return render(request, "chat/settings.html", {
        "form": form, "row": row, "can_manage": can_manage,
        "status": services.provider_status(row), "usage": selectors.usage_by_day(days=30),
        "today_models": selectors.usage_by_model(day=today()),
        "remaining": budget_remaining(row),
    })
