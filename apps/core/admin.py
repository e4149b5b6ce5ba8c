"""Admin base for models that live in tenant schemas: their pages exist only
on a tenant's host, since the public schema has none of their tables."""

from django.contrib import admin
from django.db import connection
from django_tenants.utils import get_public_schema_name


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
        return self._in_tenant() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._in_tenant() and super().has_delete_permission(request, obj)
