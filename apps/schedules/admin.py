from django.contrib import admin

from .models import Schedule


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["schema_name", "workflow_id", "cron", "timezone", "next_run_at",
                    "is_active"]
    list_filter = ["is_active", "timezone"]
    search_fields = ["schema_name"]
