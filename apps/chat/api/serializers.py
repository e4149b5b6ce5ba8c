from rest_framework import serializers

from ..providers import PROVIDERS
from ..services.config import API_KEY_MAX_CHARS, MODEL_MAX_CHARS
from ..services.conversations import TITLE_MAX_CHARS
from ..services.loop import CONTENT_MAX_CHARS

PROVIDER_CHOICES = ["", *PROVIDERS]


class TextField(serializers.CharField):
    """Text only: DRF's CharField would also take 12 as "12"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ConversationInput(serializers.Serializer):
    title = TextField(max_length=TITLE_MAX_CHARS, required=False, allow_blank=True)
    provider = serializers.ChoiceField(choices=PROVIDER_CHOICES, required=False,
                                       allow_blank=True)
    model = TextField(max_length=MODEL_MAX_CHARS, required=False, allow_blank=True)


class MessageInput(serializers.Serializer):
    content = TextField(max_length=CONTENT_MAX_CHARS)


class ChatSettingsInput(serializers.Serializer):
    provider = serializers.ChoiceField(choices=PROVIDER_CHOICES, required=False,
                                       allow_blank=True)
    model = TextField(max_length=MODEL_MAX_CHARS, required=False, allow_blank=True)
    base_url = TextField(max_length=500, required=False, allow_blank=True)
    api_key = TextField(max_length=API_KEY_MAX_CHARS, required=False,
                                    allow_blank=True, write_only=True, trim_whitespace=True)
    clear_api_key = serializers.BooleanField(required=False, default=False)
    daily_token_budget = serializers.IntegerField(min_value=1, max_value=10**12, required=False,
                                                  allow_null=True)


class UsageQuery(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=366, required=False, default=30)
