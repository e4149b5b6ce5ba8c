from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.tenants.services import tenant_template_ensure


class Command(BaseCommand):
    help = "Migrate the public schema, the tenant template and every tenant schema."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        tenant_template_ensure(migrate=True)
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
