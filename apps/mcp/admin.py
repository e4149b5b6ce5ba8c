from django.contrib import admin

from apps.core.admin import TenantSchemaAdmin

from .models import ToolCall


@admin.register(ToolCall)
class ToolCallAdmin(TenantSchemaAdmin):
    list_display = ["created_at", "tool", "channel", "user_email", "outcome", "duration_ms"]
    list_filter = ["outcome", "channel", "tool"]
    search_fields = ["tool", "user_email"]
    readonly_fields = [f.name for f in ToolCall._meta.fields]
