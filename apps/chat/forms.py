from django import forms

from .api.serializers import PROVIDER_CHOICES
from .models import ChatSettings
from .services.config import API_KEY_MAX_CHARS, MODEL_MAX_CHARS


class ChatSettingsForm(forms.Form):
    provider = forms.ChoiceField(choices=ChatSettings.Provider.choices, required=False)
    model = forms.CharField(max_length=MODEL_MAX_CHARS, required=False,
                            help_text="e.g. gpt-4o-mini, gemini-2.5-flash, llama3.1 (Ollama).")
    base_url = forms.CharField(max_length=500, required=False, label="Base URL",
                               help_text="For an OpenAI-compatible server, e.g. "
                                         "http://localhost:11434/v1 (Ollama).")
    api_key = forms.CharField(max_length=API_KEY_MAX_CHARS, required=False, label="API key",
                              widget=forms.PasswordInput(render_value=False),
                              help_text="Stored encrypted and never shown again. Leave empty "
                                        "to keep the current key.")
    clear_api_key = forms.BooleanField(required=False, label="Remove the stored API key")
    daily_token_budget = forms.IntegerField(min_value=1, max_value=10**12, required=False,
                                            help_text="Tokens per day (UTC) for the whole team; "
                                                      "empty for no limit.")

    def clean_provider(self):
        value = self.cleaned_data["provider"]
        if value not in PROVIDER_CHOICES:
            raise forms.ValidationError("Unknown provider.")
        return value
