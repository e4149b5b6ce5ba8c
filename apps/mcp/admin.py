from django.contrib import admin

from .models import ToolCall


@admin.register(ToolCall)
class ToolCallAdmin(admin.ModelAdmin):
    list_display = ["created_at", "tool", "channel", "user_email", "outcome", "duration_ms"]
    list_filter = ["outcome", "channel", "tool"]
    search_fields = ["tool", "user_email"]
    readonly_fields = [f.name for f in ToolCall._meta.fields]

    def has_add_permission(self, request):
        return False
