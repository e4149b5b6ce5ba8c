from django.core.management.base import BaseCommand

from apps.tenants.selectors import tenant_list


class Command(BaseCommand):
    help = "List tenants with their schema, plan, state and domains."

    def handle(self, *args, **options):
        rows = [("slug", "name", "schema", "plan", "active", "domains")]
        for tenant in tenant_list().prefetch_related("domains"):
            rows.append((tenant.slug, tenant.name, tenant.schema_name, tenant.plan,
                         "yes" if tenant.is_active else "no",
                         ",".join(d.domain for d in tenant.domains.all())))
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = (str(v).ljust(w) for v, w in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
