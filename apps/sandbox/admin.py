"""Operators look at the sandbox here; its data is written through its API only."""

from django.contrib import admin

from .models import SandboxBase, SandboxRecord, SandboxTable, SandboxToken


class ReadMostlyAdmin(admin.ModelAdmin):
    """Viewing and deleting; no adding or editing, which would bypass links and formulas."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SandboxToken)
class SandboxTokenAdmin(ReadMostlyAdmin):
    list_display = ["prefix", "name", "user_id", "created_at"]
    search_fields = ["prefix", "name", "user_id"]
    exclude = ["token_hash"]


@admin.register(SandboxBase)
class SandboxBaseAdmin(ReadMostlyAdmin):
    list_display = ["id", "name", "token", "created_at"]
    search_fields = ["id", "name"]


@admin.register(SandboxTable)
class SandboxTableAdmin(ReadMostlyAdmin):
    list_display = ["id", "name", "base", "position", "next_auto_number"]
    search_fields = ["id", "name", "base__id"]
    list_select_related = ["base"]


@admin.register(SandboxRecord)
class SandboxRecordAdmin(ReadMostlyAdmin):
    list_display = ["id", "table", "auto_number", "created_time", "last_modified_time"]
    search_fields = ["id", "table__id"]
    list_select_related = ["table"]
    show_full_result_count = False
