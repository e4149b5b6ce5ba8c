"""Operator admin for files. Files live in tenant schemas, so these pages exist
only on a tenant's host (the public schema has no file tables)."""

from django.contrib import admin
from django.db import connection
from django_tenants.utils import get_public_schema_name

from . import services
from .models import File, ImportJob


class TenantSchemaAdmin(admin.ModelAdmin):
    def _in_tenant(self) -> bool:
        return connection.schema_name != get_public_schema_name()

    def has_module_permission(self, request):
        return self._in_tenant() and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._in_tenant() and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(File)
class FileAdmin(TenantSchemaAdmin):
    list_display = ["filename", "extension", "size", "status", "error_code", "created_at"]
    list_filter = ["status", "extension"]
    search_fields = ["filename", "sha256"]
    readonly_fields = [field.name for field in File._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return self._in_tenant() and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        # Through the service, so that the stored blob goes too.
        services.file_delete(file_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for file_id in queryset.values_list("pk", flat=True):
            services.file_delete(file_id=file_id)


@admin.register(ImportJob)
class ImportJobAdmin(TenantSchemaAdmin):
    list_display = ["id", "file", "base_id", "table", "status", "done", "total",
                    "created_count", "failed_count", "created_at"]
    list_filter = ["status"]
    search_fields = ["base_id", "table"]
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False
