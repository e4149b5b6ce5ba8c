"""One prompt, one answer: the chat's providers for callers that are not a conversation
(workflow steps). The same provider choice and errors as a chat turn."""

from __future__ import annotations

from dataclasses import replace

from ..providers import provider_for
from ..providers.base import Completion, HistoryMessage
from .config import provider_config_resolve


def prompt_complete(*, prompt: str, system: str = "", model: str = "",
                    timeout: float | None = None) -> dict:
    """{text, model, prompt_tokens, completion_tokens}; LLMNotConfigured when no provider is
    set, the chat's ProviderError subclasses when the call fails."""
    config = provider_config_resolve()
    if model:
        config = replace(config, model=model)
    if timeout is not None:
        config = replace(config, timeout=timeout)
    provider = provider_for(config)
    completion = None
    for event in provider.generate(system=system, tools=[], stream=False,
                                   messages=[HistoryMessage(role="user", content=prompt)]):
        if isinstance(event, Completion):
            completion = event
    text = completion.text if completion else ""
    usage = completion.usage if completion else None
    return {"text": text, "model": (completion.model if completion else "") or config.model,
            "prompt_tokens": usage.prompt_tokens if usage else 0,
            "completion_tokens": usage.completion_tokens if usage else 0}
