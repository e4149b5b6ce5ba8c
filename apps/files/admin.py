"""Operator admin for files. Files live in tenant schemas, so these pages exist
only on a tenant's host (the public schema has no file tables)."""

from django.contrib import admin

from apps.core.admin import TenantSchemaAdmin
from apps.tenants.selectors import tenant_data_counter_register

from . import services
from .models import File, ImportJob


class ReadOnlyTenantAdmin(TenantSchemaAdmin):
    def has_change_permission(self, request, obj=None):
        return False


@admin.register(File)
class FileAdmin(ReadOnlyTenantAdmin):
    list_display = ["filename", "extension", "size", "status", "error_code", "created_at"]
    list_filter = ["status", "extension"]
    search_fields = ["filename", "sha256"]
    readonly_fields = [field.name for field in File._meta.fields]

    def delete_model(self, request, obj):
        # Through the service, so that the stored blob goes too.
        services.file_delete(file_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for file_id in queryset.values_list("pk", flat=True):
            services.file_delete(file_id=file_id)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyTenantAdmin):
    list_display = ["id", "file", "base_id", "table", "status", "done", "total",
                    "created_count", "failed_count", "created_at"]
    list_filter = ["status"]
    search_fields = ["base_id", "table"]
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False


tenant_data_counter_register("Files", lambda tenant: File.objects.count())
