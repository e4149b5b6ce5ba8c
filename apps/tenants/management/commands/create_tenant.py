from django.core.management.base import BaseCommand, CommandError

from apps.core.exceptions import ApplicationError
from apps.tenants.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant (cloned from the template schema)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", default="")
        parser.add_argument("--plan", default="free")

    def handle(self, *args, slug, name, plan, **options):
        try:
            tenant = tenant_create(name=name or slug, slug=slug, plan=plan)
        except ApplicationError as error:
            raise CommandError(error.detail) from None
        self.stdout.write(f"created {tenant.slug} (schema {tenant.schema_name})")
