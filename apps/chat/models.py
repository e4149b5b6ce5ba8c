import uuid

from django.db import models


class ChatSettings(models.Model):
    """The tenant's choice of provider and model, its own key, and its daily token budget.

    One row per tenant schema. Empty fields fall back to the environment
    (OPENAI_API_KEY, OPENAI_BASE_URL, GEMINI_API_KEY, LLM_DEFAULT_MODEL).
    """

    class Provider(models.TextChoices):
        DEFAULT = "", "Platform default"
        OPENAI = "openai", "OpenAI or OpenAI-compatible"
        GEMINI = "gemini", "Google Gemini"

    provider = models.CharField(max_length=20, choices=Provider.choices, blank=True)
    model = models.CharField(max_length=200, blank=True)
    base_url = models.URLField(max_length=500, blank=True)
    api_key_encrypted = models.TextField(blank=True)
    daily_token_budget = models.PositiveBigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by_id = models.BigIntegerField(null=True)

    class Meta:
        verbose_name_plural = "chat settings"

    def __str__(self) -> str:
        return f"chat settings ({self.provider or 'default'})"

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_encrypted)


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200, blank=True)
    user_id = models.BigIntegerField(db_index=True)
    provider = models.CharField(max_length=20, blank=True)
    model = models.CharField(max_length=200, blank=True)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["user_id", "-updated_at"])]

    def __str__(self) -> str:
        return self.title or str(self.id)


class Message(models.Model):
    """One step of a conversation: what was said, asked of a tool, or answered by one."""

    class Role(models.TextChoices):
        SYSTEM = "system", "System"
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"
        TOOL = "tool", "Tool"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="messages")
    turn_id = models.UUIDField(null=True, db_index=True)
    role = models.CharField(max_length=10, choices=Role.choices)
    content = models.TextField(blank=True)
    # Assistant: [{"id", "name", "arguments", "raw_arguments"?, "provider_data"?}]
    tool_calls = models.JSONField(null=True, blank=True)
    # Tool: which call this answers, the tool's name and its structured result.
    tool_call_id = models.CharField(max_length=200, blank=True)
    tool_name = models.CharField(max_length=100, blank=True)
    tool_result = models.JSONField(null=True, blank=True)
    is_error = models.BooleanField(default=False)
    # Assistant: the records the answer drew on, from this turn's tool results.
    sources = models.JSONField(null=True, blank=True)
    model = models.CharField(max_length=200, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    usage_estimated = models.BooleanField(default=False)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(null=True)
    finish_reason = models.CharField(max_length=40, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error = models.TextField(blank=True)
    # Order within the conversation; steps of one turn can share a timestamp.
    position = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["conversation", "position"],
                                               name="chat_message_position_unique")]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"


class DailyUsage(models.Model):
    """Tokens and cost per day, provider and model: the tenant's usage and its budget."""

    day = models.DateField()
    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=200)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    calls = models.PositiveIntegerField(default=0)
    turns = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["day", "provider", "model"],
                                               name="chat_daily_usage_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.model}"
