"""One chat turn: the user's message, then model → tool calls → tool results → model …
until the model answers without asking for tools.

`turn_start()` makes every check that can refuse a turn (the conversation, the
provider, the budget, a turn already running) and records the user's message;
`Turn.events()` then runs the loop as a generator of events, the same for SSE,
WebSocket and plain JSON callers:

    {"type": "delta", "text"}                    part of the answer, as it streams
    {"type": "tool_call", "id", "name", "arguments"}
    {"type": "tool_result", "id", "name", "is_error", "result"}
    {"type": "done", "message", "usage", "conversation"}
    {"type": "error", "code", "message", "message_id"}

Each step is saved as it happens. The loop stops after CHAT_MAX_ROUNDS model
calls or CHAT_MAX_TURN_TOKENS tokens (or what is left of the daily budget),
and when its CancelToken is set (stop button, closed socket, gone client) or
the generator is closed; the provider's stream is closed with it. A turn
always ends with exactly one `done` or `error` event, unless its consumer went
away first.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connections
from django_tenants.utils import tenant_context

from apps.airtable import selectors as airtable_selectors
from apps.core.exceptions import ApplicationError, ValidationFailed
from apps.core.tools import ToolContext, ToolResult, tool_registry

from ..exceptions import (
    ChatFailed,
    ToolCallUnreadable,
    ToolCrashed,
    TurnCancelled,
    TurnInProgress,
    TurnLimitReached,
)
from ..metrics import CHAT_TOKENS, CHAT_TURN_SECONDS, CHAT_TURNS
from ..models import ChatSettings, Conversation, Message
from ..presenters import conversation_json, message_json, usage_json
from ..pricing import cost_of
from ..providers import ProviderConfig, provider_for
from ..providers.base import Completion, HistoryMessage, TextDelta, ToolCall, ToolSpec
from ..selectors import chat_settings_get, conversation_get
from ..signals import chat_turn_completed
from .config import provider_config_resolve
from .control import CANCEL_POLL_SECONDS, CancelToken, TurnLock
from .prompt import system_prompt
from .usage import budget_check, budget_exceeded_error, turn_record, usage_record

logger = logging.getLogger(__name__)

CONTENT_MAX_CHARS = 20_000
TITLE_MAX_CHARS = 80
HISTORY_MAX_CHARS = 60_000
TOOL_RESULT_MAX_CHARS = 30_000
SOURCES_MAX = 50
SOURCE_FIELDS_MAX = 12
SOURCE_VALUE_CHARS = 200


def content_check(content: Any) -> str:
    if not isinstance(content, str) or not content.strip():
        raise ValidationFailed("Write a message.", errors={"content": ["This field is required."]})
    if len(content) > CONTENT_MAX_CHARS:
        raise ValidationFailed("The message is too long.", errors={
            "content": [f"Ensure this field has no more than {CONTENT_MAX_CHARS} characters."]})
    return content.strip()


def turn_start(*, caller: ToolContext, conversation_id, content: Any, stream: bool,
               cancel: CancelToken | None = None) -> Turn:
    """Check that a turn may run and record the user's message; refusals raise before any
    event (ConversationNotFound, LLMNotConfigured, LLMBudgetExceeded, TurnInProgress)."""
    content = content_check(content)
    schema = caller.tenant.schema_name
    with tenant_context(caller.tenant):
        conversation = conversation_get(user_id=caller.user.pk, conversation_id=conversation_id)
        chat_settings = chat_settings_get()
        config = provider_config_resolve(conversation=conversation, chat_settings=chat_settings)
        remaining = budget_check(chat_settings)
        lock = TurnLock(schema, conversation.pk)
        if not lock.acquire():
            raise TurnInProgress("This conversation is still answering the previous message; "
                                 "wait for it or stop it.")
        try:
            cancel = cancel or CancelToken(schema, conversation.pk)
            cancel.clear_remote()
            turn = Turn(caller=caller, conversation=conversation, config=config,
                        chat_settings=chat_settings, budget_remaining=remaining, lock=lock,
                        cancel=cancel, stream=stream)
            turn.begin(content)
        except BaseException:
            lock.release()
            raise
    return turn


def _answered_ids(rows: list[Message], index: int) -> set[str]:
    """The ids of the tool messages right after the assistant message at `index`."""
    answered = set()
    for row in rows[index + 1:]:
        if row.role != Message.Role.TOOL:
            break
        answered.add(row.tool_call_id)
    return answered


def history_for(conversation: Conversation) -> list[HistoryMessage]:
    """The conversation as the model sees it: tool calls only with their answers (a turn cut
    short leaves none), failed steps without text left out, oldest turns dropped past
    HISTORY_MAX_CHARS."""
    rows = list(conversation.messages.exclude(role=Message.Role.SYSTEM).order_by("position"))
    history: list[HistoryMessage] = []
    open_calls: set[str] = set()
    for index, row in enumerate(rows):
        if row.role == Message.Role.USER:
            history.append(HistoryMessage(role="user", content=row.content))
        elif row.role == Message.Role.ASSISTANT:
            answered = _answered_ids(rows, index)
            calls = tuple(ToolCall.from_json(call) for call in row.tool_calls or []
                          if call.get("id") in answered)
            open_calls = {call.id for call in calls}
            if row.content or calls:
                history.append(HistoryMessage(role="assistant", content=row.content,
                                              tool_calls=calls))
        elif row.tool_call_id in open_calls:
            history.append(HistoryMessage(role="tool", content=row.content,
                                          tool_call_id=row.tool_call_id, name=row.tool_name))
    return _trimmed(history)


def _size(message: HistoryMessage) -> int:
    return len(message.content) + sum(len(call.raw_arguments) + 50 for call in message.tool_calls)


def _trimmed(history: list[HistoryMessage]) -> list[HistoryMessage]:
    total = 0
    start = None
    for index in range(len(history) - 1, -1, -1):
        total += _size(history[index])
        if history[index].role == "user":
            if total > HISTORY_MAX_CHARS and start is not None:
                break
            start = index
    return history[start:] if start is not None else history


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SOURCE_VALUE_CHARS:
        return value[:SOURCE_VALUE_CHARS] + "…"
    return value


def _records_in(value: Any, depth: int = 0) -> Iterator[dict]:
    """Airtable records ({"id": "rec…", "fields": {…}}) anywhere in a tool's result."""
    if depth > 6:
        return
    if isinstance(value, dict):
        record_id = value.get("id")
        if isinstance(record_id, str) and record_id.startswith("rec") and \
                isinstance(value.get("fields"), dict):
            yield value
            return
        for item in value.values():
            yield from _records_in(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _records_in(item, depth + 1)


def _source_name(value: Any, record_id: str) -> str:
    """A record's primary value as one line of text, or its id when it has none."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("email") or value.get("label")
    if isinstance(value, list):
        value = ", ".join(str(_source_name(item, "")) for item in value if item)
    text = " ".join(str(value).split()) if value not in (None, "") else ""
    return text or record_id


def _call_in_thread(name: str, arguments: dict, context: ToolContext) -> ToolResult:
    try:
        return tool_registry.call(name, arguments, context)
    finally:
        connections.close_all()


class Turn:
    def __init__(self, *, caller: ToolContext, conversation: Conversation, config: ProviderConfig,
                 chat_settings: ChatSettings, budget_remaining: int | None, lock: TurnLock,
                 cancel: CancelToken, stream: bool):
        self.caller = caller
        self.conversation = conversation
        self.config = config
        self.chat_settings = chat_settings
        self.lock = lock
        self.cancel = cancel
        self.stream = stream
        self.turn_id = uuid.uuid4()
        self.tools = tool_registry.visible(caller.scopes)
        self.tool_specs = [ToolSpec(name=tool.name, description=tool.description,
                                    parameters=tool.input_schema) for tool in self.tools]
        self.budget_bound = (budget_remaining is not None
                             and budget_remaining < settings.CHAT_MAX_TURN_TOKENS)
        self.token_cap = (budget_remaining if self.budget_bound
                          else settings.CHAT_MAX_TURN_TOKENS)
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.cost = Decimal(0)
        self.rounds = 0
        self.tool_call_count = 0
        self.status = "ok"
        self.error: ApplicationError | None = None
        self.final_message: Message | None = None
        self.sources: dict[str, dict] = {}
        self.history: list[HistoryMessage] = []
        self.system = ""
        self.position = 0
        self._partial: list[str] = []

    # --- persistence -------------------------------------------------------------------

    def _db(self):
        # Tool calls leave the connection on the public schema: every write names the tenant.
        return tenant_context(self.caller.tenant)

    def _save(self, **fields) -> Message:
        with self._db():
            message = Message.objects.create(conversation=self.conversation,
                                             turn_id=self.turn_id, position=self.position,
                                             **fields)
        self.position += 1
        return message

    def begin(self, content: str) -> None:
        """Record the system prompt (when it changed) and the user's message."""
        with self._db():
            last = self.conversation.messages.order_by("-position").first()
            self.position = last.position + 1 if last else 0
            self.system = system_prompt(tenant=self.caller.tenant, scopes=self.caller.scopes,
                                        tools=self.tools)
            previous = (self.conversation.messages.filter(role=Message.Role.SYSTEM)
                        .order_by("-position").first())
            if previous is None or previous.content != self.system:
                self._save(role=Message.Role.SYSTEM, content=self.system)
            self._save(role=Message.Role.USER, content=content)
            if not self.conversation.title:
                self.conversation.title = content.splitlines()[0][:TITLE_MAX_CHARS]
                self.conversation.save(update_fields=["title", "updated_at"])
            self.history = history_for(self.conversation)

    # --- the loop ----------------------------------------------------------------------

    def events(self) -> Iterator[dict]:
        started = time.monotonic()
        try:
            yield from self._loop()
        except GeneratorExit:
            self._fail(TurnCancelled("The client went away; the answer was stopped."))
            raise
        except ApplicationError as error:
            if self.cancel.cancelled and not isinstance(error, TurnCancelled):
                # A stop closes the provider's stream, which then fails: the user stopped it.
                error = TurnCancelled("Stopped by the user.")
            message = self._fail(error)
            yield self._error_event(error, message)
        except Exception:
            logger.exception("chat turn %s failed", self.turn_id)
            error = ChatFailed("The answer failed unexpectedly; the failure was logged.")
            message = self._fail(error)
            yield self._error_event(error, message)
        finally:
            self._finish(started)

    def run(self) -> Message:
        """Run the whole turn; the final assistant message, or the error that ended it."""
        for _event in self.events():
            pass
        if self.error is not None:
            raise self.error
        return self.final_message

    def _loop(self) -> Iterator[dict]:
        for round_number in range(1, settings.CHAT_MAX_ROUNDS + 1):
            self._check_cancel()
            self._check_tokens()
            self.rounds = round_number
            self.lock.refresh()
            completion, message = yield from self._model_call()
            if not completion.tool_calls:
                self.final_message = message
                yield {"type": "done", "message": message_json(message),
                       "usage": self._usage_json(), "conversation": self._conversation_json()}
                return
            yield from self._tool_calls(completion.tool_calls)
        raise TurnLimitReached(
            f"Stopped after {settings.CHAT_MAX_ROUNDS} rounds of tool calls without a final "
            "answer. Ask a narrower question (the limit is CHAT_MAX_ROUNDS).")

    def _check_cancel(self) -> None:
        if self.cancel.cancelled:
            raise TurnCancelled("Stopped by the user.")

    def _check_tokens(self) -> None:
        if self.prompt_tokens + self.completion_tokens < self.token_cap:
            return
        if self.budget_bound:
            raise budget_exceeded_error(self.chat_settings)
        raise TurnLimitReached(
            f"Stopped after {self.prompt_tokens + self.completion_tokens:,} tokens, the limit "
            f"for one answer (CHAT_MAX_TURN_TOKENS). Ask a narrower question.")

    def _model_call(self) -> Iterator[dict]:
        provider = provider_for(self.config)
        generator = provider.generate(system=self.system, messages=self.history,
                                      tools=self.tool_specs, stream=self.stream)
        started = time.monotonic()
        completion: Completion | None = None
        self._partial = []
        try:
            for item in generator:
                if isinstance(item, TextDelta):
                    self._partial.append(item.text)
                    yield {"type": "delta", "text": item.text}
                    self._check_cancel()
                else:
                    completion = item
        finally:
            generator.close()
        latency = round((time.monotonic() - started) * 1000)
        usage = completion.usage
        cost = cost_of(self.config.model, usage.prompt_tokens, usage.completion_tokens)
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.cost += cost
        CHAT_TOKENS.labels(self.config.provider, "prompt").inc(usage.prompt_tokens)
        CHAT_TOKENS.labels(self.config.provider, "completion").inc(usage.completion_tokens)
        final = not completion.tool_calls
        message = self._save(
            role=Message.Role.ASSISTANT, content=completion.text,
            tool_calls=[call.as_json() for call in completion.tool_calls] or None,
            sources=list(self.sources.values()) if final else None,
            model=(completion.model or self.config.model)[:200], provider=self.config.provider,
            prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
            usage_estimated=usage.estimated, cost=cost, latency_ms=latency,
            finish_reason=completion.finish_reason[:40])
        self._partial = []
        with self._db():
            usage_record(conversation=self.conversation, provider=self.config.provider,
                         model=self.config.model, prompt_tokens=usage.prompt_tokens,
                         completion_tokens=usage.completion_tokens, cost=cost)
        self.history.append(HistoryMessage(role="assistant", content=completion.text,
                                           tool_calls=tuple(completion.tool_calls)))
        for call in completion.tool_calls:
            yield {"type": "tool_call", "id": call.id, "name": call.name,
                   "arguments": call.arguments if call.arguments is not None
                   else call.raw_arguments}
        return completion, message

    def _tool_calls(self, calls: list[ToolCall]) -> Iterator[dict]:
        self._check_cancel()
        context = self.caller
        results: dict[int, ToolResult] = {}
        runnable = []
        for index, call in enumerate(calls):
            if call.arguments is None:
                results[index] = ToolResult(
                    structured={"error": {"code": "ERROR_TOOL_ARGUMENTS", "message":
                                          f"{call.argument_error} Call the tool again with "
                                          "its arguments as one JSON object."}},
                    is_error=True, error_code="ERROR_TOOL_ARGUMENTS")
            else:
                runnable.append((index, call))
        if len(runnable) == 1:
            index, call = runnable[0]
            results[index] = tool_registry.call(call.name, call.arguments, context)
        elif runnable:
            results.update(self._parallel(runnable, context))
        for index, call in enumerate(calls):
            result = results[index]
            self.tool_call_count += 1
            self._collect_sources(result, call)
            text = result.text
            if len(text) > TOOL_RESULT_MAX_CHARS:
                text = (text[:TOOL_RESULT_MAX_CHARS]
                        + "… (cut: ask for fewer records or fields to see the rest)")
            error = (result.structured or {}).get("error") if result.is_error else None
            self._save(role=Message.Role.TOOL, content=text, tool_call_id=call.id[:200],
                       tool_name=call.name[:100], tool_result=result.structured,
                       is_error=result.is_error, error_code=(result.error_code or "")[:60],
                       error=error.get("message", "") if isinstance(error, dict) else "",
                       latency_ms=round(result.duration_ms))
            self.history.append(HistoryMessage(role="tool", content=text, tool_call_id=call.id,
                                               name=call.name))
            yield {"type": "tool_result", "id": call.id, "name": call.name,
                   "is_error": result.is_error, "result": result.structured}
        self._raise_for_broken_steps(calls, results)

    @staticmethod
    def _raise_for_broken_steps(calls: list[ToolCall], results: dict[int, ToolResult]) -> None:
        """A call whose arguments cannot be read, or a tool that raised, ends the turn once
        every step of the round is shown and saved. A tool's expected errors (bad arguments
        for its schema, an unknown tool, Airtable's refusals) go back to the model instead."""
        for index, call in enumerate(calls):
            if call.arguments is None:
                raise ToolCallUnreadable(
                    f"The model called {call.name} with arguments that cannot be read: "
                    f"{call.argument_error} The answer was stopped; ask again, or choose "
                    "another model.")
            if results[index].error_code == "ERROR_TOOL_FAILED":
                raise ToolCrashed(f"The tool {call.name} failed unexpectedly (the failure was "
                                  "logged); the answer was stopped.")

    def _parallel(self, runnable: list[tuple[int, ToolCall]],
                  context: ToolContext) -> dict[int, ToolResult]:
        """Several calls the model asked for at once run at once, each in its own thread
        (and database connection)."""
        workers = max(1, min(settings.CHAT_TOOL_THREADS, len(runnable)))
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chat-tool")
        try:
            futures = {executor.submit(_call_in_thread, call.name, call.arguments, context): index
                       for index, call in runnable}
            pending = set(futures)
            while pending:
                _done, pending = wait(pending, timeout=CANCEL_POLL_SECONDS,
                                      return_when=FIRST_COMPLETED)
                if pending:
                    self._check_cancel()
            return {index: future.result() for future, index in futures.items()}
        finally:
            executor.shutdown(wait=False, cancel_futures=True)

    def _collect_sources(self, result: ToolResult, call: ToolCall) -> None:
        if result.is_error:
            return
        primary = None
        for record in _records_in(result.structured):
            if len(self.sources) >= SOURCES_MAX:
                return
            if record["id"] in self.sources:
                continue
            if primary is None:
                primary = self._primary_names(call.arguments or {})
            fields = dict(list(record["fields"].items())[:SOURCE_FIELDS_MAX])
            name = next((record["fields"][key] for key in primary
                         if record["fields"].get(key) not in (None, "", [])), None)
            self.sources[record["id"]] = {
                "id": record["id"], "name": _clip(_source_name(name, record["id"])),
                "fields": {key: _clip(value) for key, value in fields.items()}}

    def _primary_names(self, arguments: dict) -> tuple[str, ...]:
        """The keys a record of the called tool's table has its primary value under
        (its field's name and id); none when the call names no table the mirror knows."""
        base_id, table = arguments.get("baseId"), arguments.get("table")
        if not isinstance(base_id, str) or not isinstance(table, str):
            return ()
        try:
            with self._db():
                info = airtable_selectors.table_get(base_id=base_id, table=table)
        except ApplicationError:
            return ()
        return tuple(item[key] for item in info["fields"]
                     if item["id"] == info["primary_field_id"] for key in ("name", "id"))

    # --- the end -------------------------------------------------------------------------

    def _fail(self, error: ApplicationError) -> Message:
        self.status = "cancelled" if isinstance(error, TurnCancelled) else "error"
        self.error = error
        partial = "".join(self._partial)
        self._partial = []
        return self._save(role=Message.Role.ASSISTANT, content=partial,
                          model=self.config.model[:200], provider=self.config.provider,
                          error_code=error.code, error=error.detail)

    @staticmethod
    def _error_event(error: ApplicationError, message: Message) -> dict:
        return {"type": "error", "code": error.code, "message": error.detail,
                "message_id": str(message.id)}

    def _usage_json(self) -> dict:
        return {**usage_json(prompt_tokens=self.prompt_tokens,
                             completion_tokens=self.completion_tokens, cost=self.cost),
                "rounds": self.rounds, "tool_calls": self.tool_call_count}

    def _conversation_json(self) -> dict:
        with self._db():
            self.conversation.refresh_from_db()
        return conversation_json(self.conversation)

    def _finish(self, started: float) -> None:
        seconds = time.monotonic() - started
        self.cancel.clear_remote()
        self.lock.release()
        with self._db():
            turn_record(provider=self.config.provider, model=self.config.model)
        CHAT_TURNS.labels(self.config.provider, self.status).inc()
        CHAT_TURN_SECONDS.labels(self.config.provider).observe(seconds)
        results = chat_turn_completed.send_robust(
            sender=Turn, tenant=self.caller.tenant, conversation_id=self.conversation.pk,
            turn_id=self.turn_id, user_id=self.caller.user.pk, provider=self.config.provider,
            model=self.config.model, prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens, cost=self.cost, rounds=self.rounds,
            tool_calls=self.tool_call_count, status=self.status,
            error_code=self.error.code if self.error else "", latency_ms=round(seconds * 1000))
        for receiver, outcome in results:
            if isinstance(outcome, Exception):
                logger.error("chat_turn_completed receiver %r failed", receiver,
                             exc_info=outcome)
