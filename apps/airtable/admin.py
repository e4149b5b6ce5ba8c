"""Operator admin for connections and sync jobs. These tables live in tenant
schemas, so the pages exist only on a tenant's host (the public schema has
none of them). Tokens are never shown: not even their ciphertext."""

from django.contrib import admin
from django.db.models import Sum

from apps.core.admin import TenantSchemaAdmin
from apps.tenants.selectors import tenant_data_counter_register

from .models import AirtableConnection, Base, SyncJob, Table


class BaseInline(admin.TabularInline):
    model = Base
    fields = ["base_id", "name", "permission_level", "sync_enabled", "sync_interval_minutes",
              "last_synced_at", "last_sync_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(AirtableConnection)
class AirtableConnectionAdmin(TenantSchemaAdmin):
    list_display = ["name", "endpoint_url", "last_test_ok", "last_tested_at", "created_at"]
    list_filter = ["last_test_ok"]
    search_fields = ["name", "endpoint_url"]
    exclude = ["token_encrypted"]
    readonly_fields = ["endpoint_url", "created_by_id", "created_at", "last_tested_at",
                       "last_test_ok", "last_error"]
    inlines = [BaseInline]


@admin.register(SyncJob)
class SyncJobAdmin(TenantSchemaAdmin):
    list_display = ["pk", "base", "status", "full", "trigger", "progress_done", "progress_total",
                    "created_count", "updated_count", "deleted_count", "rate_limited_count",
                    "created_at", "finished_at"]
    list_filter = ["status", "full", "trigger"]
    search_fields = ["base__base_id", "base__name", "error"]
    readonly_fields = [field.name for field in SyncJob._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False



tenant_data_counter_register("Airtable bases", lambda tenant: Base.objects.count())
tenant_data_counter_register(
    "Records mirrored",
    lambda tenant: Table.objects.aggregate(total=Sum("record_count"))["total"] or 0)
