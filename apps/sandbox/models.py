"""The sandbox's own data, in the public schema.

Record values are kept in one JSONB column keyed by field id, so renaming a
field touches only the table's schema. Computed values (formulas, lookups,
rollups, counts) are stored next to the written ones and refreshed on every
write; autoNumber, createdTime and lastModifiedTime come from the columns.
"""

from django.db import models


class SandboxToken(models.Model):
    """A personal access token of the sandbox. Only the SHA-256 of it is kept."""

    name = models.CharField(max_length=255, blank=True)
    prefix = models.CharField(max_length=24, help_text="The part before the dot, for display.")
    token_hash = models.CharField(max_length=64, unique=True)
    user_id = models.CharField(max_length=17, help_text="What /v0/meta/whoami answers.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})" if self.name else f"{self.prefix}…"


class SandboxBase(models.Model):
    id = models.CharField(primary_key=True, max_length=17)
    name = models.CharField(max_length=255)
    token = models.ForeignKey(SandboxToken, on_delete=models.CASCADE, related_name="bases",
                              help_text="The token that created the base and may use it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class SandboxTable(models.Model):
    id = models.CharField(primary_key=True, max_length=17)
    base = models.ForeignKey(SandboxBase, on_delete=models.CASCADE, related_name="tables")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    primary_field_id = models.CharField(max_length=17)
    fields = models.JSONField(default=list, help_text="[{id, name, type, options?, description?}]")
    views = models.JSONField(default=list, help_text="[{id, name, type}]")
    next_auto_number = models.BigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class SandboxRecord(models.Model):
    id = models.CharField(primary_key=True, max_length=17)
    table = models.ForeignKey(SandboxTable, on_delete=models.CASCADE, related_name="records")
    fields = models.JSONField(default=dict, help_text="{field id: value in Airtable's JSON shape}")
    auto_number = models.BigIntegerField(help_text="Creation order within the table.")
    created_time = models.DateTimeField()
    last_modified_time = models.DateTimeField()

    class Meta:
        ordering = ["auto_number"]
        constraints = [
            models.UniqueConstraint(fields=["table", "auto_number"],
                                    name="sandbox_record_unique_table_order"),
        ]

    def __str__(self) -> str:
        return self.id
