from rest_framework import serializers

from apps.core.fields import CharField

from ..providers import PROVIDERS
from ..services.config import API_KEY_MAX_CHARS, MODEL_MAX_CHARS
from ..services.conversations import TITLE_MAX_CHARS
from ..services.loop import CONTENT_MAX_CHARS

PROVIDER_CHOICES = ["", *PROVIDERS]


# What the chat takes as a provider's base URL (services.config checks where it points).
BASE_URL_PATTERN = r"^https?://[^\s/?#@]+([/?#]\S*)?$"


class ConversationInput(serializers.Serializer):
    title = CharField(max_length=TITLE_MAX_CHARS, required=False, allow_blank=True)
    provider = serializers.ChoiceField(choices=PROVIDER_CHOICES, required=False,
                                       allow_blank=True)
    model = CharField(max_length=MODEL_MAX_CHARS, required=False, allow_blank=True)


class MessageInput(serializers.Serializer):
    content = CharField(max_length=CONTENT_MAX_CHARS)


class ChatSettingsInput(serializers.Serializer):
    provider = serializers.ChoiceField(choices=PROVIDER_CHOICES, required=False,
                                       allow_blank=True)
    model = CharField(max_length=MODEL_MAX_CHARS, required=False, allow_blank=True)
    base_url = serializers.RegexField(BASE_URL_PATTERN, max_length=500, required=False,
                                      allow_blank=True, trim_whitespace=False)
    api_key = CharField(max_length=API_KEY_MAX_CHARS, required=False,
                        allow_blank=True, write_only=True, trim_whitespace=True)
    clear_api_key = serializers.BooleanField(required=False, default=False)
    daily_token_budget = serializers.IntegerField(min_value=1, max_value=10**12, required=False,
                                                  allow_null=True)


class UsageQuery(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=366, required=False, default=30)


# --- answers (the shapes of apps.chat.presenters, for the OpenAPI document) ------------------

class UsageOut(serializers.Serializer):
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()
    cost = serializers.FloatField(help_text="US dollars")


class ConversationOut(serializers.Serializer):
    id = serializers.UUIDField()
    title = CharField(allow_blank=True)
    provider = CharField(allow_blank=True)
    model = CharField(allow_blank=True)
    usage = UsageOut()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ConversationPageOut(serializers.Serializer):
    results = ConversationOut(many=True)
    next = CharField(allow_null=True)


class MessageOut(serializers.Serializer):
    id = serializers.UUIDField()
    role = serializers.ChoiceField(choices=["user", "assistant", "tool", "system"])
    content = CharField(allow_blank=True)
    tool_calls = serializers.ListField(child=serializers.DictField(), allow_null=True,
                                       help_text="[{id, name, arguments}]")
    usage = serializers.DictField(allow_null=True, help_text="An assistant message's tokens, "
                                  "cost, latency_ms, model and provider.")
    error = serializers.DictField(allow_null=True, help_text="{code, message}")
    turn_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    sources = serializers.ListField(child=serializers.DictField(), required=False)
    result = serializers.JSONField(required=False, help_text="A tool message's result.")


class ConversationDetailOut(ConversationOut):
    messages = MessageOut(many=True)


class StopOut(serializers.Serializer):
    stopping = serializers.BooleanField()


class ChatSettingsOut(serializers.Serializer):
    provider = CharField(allow_blank=True)
    model = CharField(allow_blank=True)
    base_url = CharField(allow_blank=True)
    has_api_key = serializers.BooleanField()
    daily_token_budget = serializers.IntegerField(allow_null=True)
    effective = serializers.DictField(help_text="What the chat uses now, settings and "
                                      "environment together.")


class UsageDayOut(UsageOut):
    day = serializers.DateField()
    calls = serializers.IntegerField()
    turns = serializers.IntegerField()


class UsageReportOut(serializers.Serializer):
    today = serializers.DateField()
    daily_token_budget = serializers.IntegerField(allow_null=True)
    budget_remaining = serializers.IntegerField(allow_null=True)
    days = UsageDayOut(many=True)
