from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("What `make dev` prepares, in one process: migrate every schema, seed the demo "
            "tenant and operator, connect the demo tenant to the sandbox's demo base.")

    def handle(self, *args, **options):
        call_command("migrate_platform", verbosity=0)
        call_command("seed_demo")
        call_command("airtable_demo_connect")
