"""The providers the chat can talk to, behind one interface (base.Provider).

A provider's module (and its SDK, which takes a second or more to import) loads when a
conversation first uses it, not with every process that imports the chat."""

from importlib import import_module

from .base import GEMINI, OPENAI, PROVIDERS, Provider, ProviderConfig

_CLASSES: dict[str, tuple[str, str]] = {OPENAI: ("openai", "OpenAIProvider"),
                                        GEMINI: ("gemini", "GeminiProvider")}


def provider_for(config: ProviderConfig) -> Provider:
    module, name = _CLASSES[config.provider]
    return getattr(import_module(f".{module}", __package__), name)(config)


__all__ = ["GEMINI", "OPENAI", "PROVIDERS", "Provider", "ProviderConfig", "provider_for"]
