from django.contrib import admin
from django.utils.html import format_html, format_html_join

from .models import Domain, Tenant
from .selectors import tenant_data_counts


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "schema_name", "plan", "is_active", "created_at"]
    list_filter = ["plan", "is_active"]
    search_fields = ["name", "slug", "schema_name"]
    readonly_fields = ["schema_name", "created_at", "data"]
    inlines = [DomainInline]

    @admin.display(description="Data")
    def data(self, tenant):
        """Where the tenant's data lives and how much of it there is (read-only)."""
        if tenant.pk is None:
            return "-"
        rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>",
                                ((label, f"{count:,}") for label, count in
                                 tenant_data_counts(tenant)))
        return format_html('<p>PostgreSQL schema <code>{}</code>; its admin pages are on '
                           '<a href="//{}/admin/">{}</a>.</p><table>{}</table>',
                           tenant.schema_name, _host(tenant), _host(tenant), rows)

    def has_add_permission(self, request):
        # Tenants are provisioned by `create_tenant` or sign-up, which clone the schema.
        return False


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__slug"]


def _host(tenant) -> str:
    domain = tenant.domains.filter(is_primary=True).first()
    return domain.domain if domain else ""
