from django.contrib import admin

from .models import Notice, StepResult, Workflow, WorkflowRun, WorkflowVersion


class VersionInline(admin.TabularInline):
    model = WorkflowVersion
    extra = 0
    readonly_fields = ["version", "definition", "created_at", "created_by_id"]
    can_delete = False


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger_type", "is_active", "version", "owner_id", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]
    readonly_fields = ["version", "webhook_token", "created_at", "updated_at"]
    inlines = [VersionInline]


class StepInline(admin.TabularInline):
    model = StepResult
    extra = 0
    can_delete = False
    readonly_fields = ["step_id", "iteration", "type", "status", "attempts", "input", "output",
                       "error", "started_at", "finished_at"]
    fields = readonly_fields


@admin.register(WorkflowRun)
class WorkflowRunAdmin(admin.ModelAdmin):
    list_display = ["id", "workflow", "status", "workflow_version", "test", "created_at",
                    "finished_at", "error_code"]
    list_filter = ["status", "test"]
    search_fields = ["workflow__name", "error", "idempotency_key"]
    readonly_fields = ["workflow", "workflow_version", "definition", "trigger", "status",
                       "idempotency_key", "depth", "owner_id", "replay_of", "error",
                       "error_code", "attempts", "lease_until", "wake_at", "created_at",
                       "started_at", "finished_at"]
    inlines = [StepInline]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["user_id", "message", "created_at", "read_at"]
