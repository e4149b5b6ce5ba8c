"""Which provider, model and key a conversation uses, and the tenant's chat settings.

Order of choice: the conversation's provider and model, then the tenant's chat
settings, then the environment (OPENAI_API_KEY / OPENAI_BASE_URL, GEMINI_API_KEY,
LLM_DEFAULT_MODEL). A tenant's own key and base URL apply to the tenant's provider.
"""

from __future__ import annotations

from django.conf import settings

from apps.core.urlguard import url_check

from .. import crypto
from ..exceptions import InvalidChatSettings, LLMNotConfigured
from ..models import ChatSettings, Conversation
from ..providers import GEMINI, OPENAI, PROVIDERS, ProviderConfig
from ..selectors import chat_settings_get

DEFAULT_GEMINI_MODEL = "gemini-2.5-flash"
MODEL_MAX_CHARS = 200
API_KEY_MAX_CHARS = 500
UNCHANGED = object()

NOT_CONFIGURED = (
    "No language model is configured for this team. Set OPENAI_API_KEY (or OPENAI_BASE_URL "
    "for a local server such as Ollama, vLLM or LM Studio) or GEMINI_API_KEY in the "
    "platform's environment, or choose a provider, model and API key in the chat settings "
    "(/chat/settings)."
)


def _guess_provider(model: str) -> str:
    return GEMINI if model.lower().startswith(("gemini", "models/gemini")) else ""


def _environment_provider() -> str:
    if settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL:
        return OPENAI
    if settings.GEMINI_API_KEY:
        return GEMINI
    return ""


def _default_model(provider: str) -> str:
    default = settings.LLM_DEFAULT_MODEL
    if provider == GEMINI:
        return default if _guess_provider(default) == GEMINI else DEFAULT_GEMINI_MODEL
    return default


def provider_config_resolve(*, conversation: Conversation | None = None,
                            chat_settings: ChatSettings | None = None) -> ProviderConfig:
    """The provider a turn calls; LLMNotConfigured when nothing usable is set."""
    tenant = chat_settings if chat_settings is not None else chat_settings_get()
    wanted_model = conversation.model if conversation else ""
    provider = ((conversation.provider if conversation else "") or _guess_provider(wanted_model)
                or tenant.provider or _guess_provider(tenant.model) or _environment_provider())
    if provider not in PROVIDERS:
        raise LLMNotConfigured(NOT_CONFIGURED)

    tenant_applies = tenant.provider == provider
    api_key = ""
    if tenant_applies and tenant.api_key_encrypted:
        api_key = crypto.decrypt(tenant.api_key_encrypted) or ""
        if not api_key:
            raise LLMNotConfigured(
                "The team's API key can no longer be decrypted (the encryption keys changed). "
                "Enter the key again in the chat settings.")
    # Checked again before use: the host may resolve elsewhere now than when it was saved.
    base_url = base_url_check(tenant.base_url) if tenant_applies else ""
    if provider == OPENAI:
        api_key = api_key or settings.OPENAI_API_KEY
        base_url = base_url or settings.OPENAI_BASE_URL
    else:
        api_key = api_key or settings.GEMINI_API_KEY
    if not api_key and not base_url:
        raise LLMNotConfigured(NOT_CONFIGURED)

    model = wanted_model or (tenant.model if tenant_applies or not tenant.provider else "") \
        or _default_model(provider)
    return ProviderConfig(provider=provider, model=model, api_key=api_key, base_url=base_url,
                          timeout=settings.CHAT_PROVIDER_TIMEOUT_SECONDS,
                          retries=settings.CHAT_PROVIDER_RETRIES)


def base_url_check(base_url: str) -> str:
    """A tenant's provider base URL: on an origin of CHAT_ALLOWED_BASE_URLS when the operator
    lists some, else at a public address (apps.core.urlguard)."""
    base_url = (base_url or "").strip()
    if not base_url:
        return ""
    return url_check(base_url, purpose="The base URL", field="base_url",
                     allowed_origins=settings.CHAT_ALLOWED_BASE_URLS)


def chat_settings_update(*, actor_id: int, provider: str | None = None,
                         model: str | None = None, base_url: str | None = None,
                         api_key: str | None = None, clear_api_key: bool = False,
                         daily_token_budget: int | object | None = UNCHANGED) -> ChatSettings:
    """Change the tenant's chat settings; fields left None keep their value.

    `daily_token_budget` is left as is when not given, and None removes the budget.
    The API key is stored encrypted and never returned.
    """
    row = chat_settings_get()
    if provider is not None:
        if provider not in ("", *PROVIDERS):
            raise InvalidChatSettings("Unknown provider.",
                                      errors={"provider": [f"Use one of: {', '.join(PROVIDERS)}."]})
        row.provider = provider
    if model is not None:
        row.model = model.strip()[:MODEL_MAX_CHARS]
    if base_url is not None:
        row.base_url = base_url_check(base_url)
    if clear_api_key:
        row.api_key_encrypted = ""
    if api_key:
        row.api_key_encrypted = crypto.encrypt(api_key.strip()[:API_KEY_MAX_CHARS])
    if daily_token_budget is not UNCHANGED:
        row.daily_token_budget = daily_token_budget
    if (row.api_key_encrypted or row.base_url) and not row.provider:
        raise InvalidChatSettings(
            "Choose the provider that the API key or base URL is for.",
            errors={"provider": ["Choose the provider that the API key or base URL is for."]})
    row.updated_by_id = actor_id
    row.save()
    return row


def provider_status(chat_settings: ChatSettings | None = None) -> dict:
    """What the tenant will use by default, for the settings page and API."""
    try:
        config = provider_config_resolve(chat_settings=chat_settings)
    except LLMNotConfigured as error:
        return {"configured": False, "detail": error.detail}
    return {"configured": True, "provider": config.provider, "model": config.model,
            "base_url": config.base_url}
