"""The providers the chat can talk to, behind one interface (base.Provider)."""

from .base import GEMINI, OPENAI, PROVIDERS, Provider, ProviderConfig
from .gemini import GeminiProvider
from .openai import OpenAIProvider

_CLASSES: dict[str, type[Provider]] = {OPENAI: OpenAIProvider, GEMINI: GeminiProvider}


def provider_for(config: ProviderConfig) -> Provider:
    return _CLASSES[config.provider](config)


__all__ = ["GEMINI", "OPENAI", "PROVIDERS", "Provider", "ProviderConfig", "provider_for"]
