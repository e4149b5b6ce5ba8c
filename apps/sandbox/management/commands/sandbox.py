"""`manage.py sandbox token` and `manage.py sandbox seed [--records N] [--token T]`."""

from django.core.management.base import BaseCommand, CommandError

from apps.sandbox.exceptions import SandboxError
from apps.sandbox.services import sandbox_seed_demo, token_create


class Command(BaseCommand):
    help = "The Airtable sandbox: make a token, or seed the demo CRM base."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        token = commands.add_parser("token", help="Print a new sandbox token.")
        token.add_argument("--name", default="", help="A label for the token.")
        seed = commands.add_parser("seed", help="Create the demo base; print its id and token.")
        seed.add_argument("--records", type=int, default=200,
                          help="Records spread over the demo tables (default 200).")
        seed.add_argument("--token", default=None,
                          help="Use this token (made if unknown) instead of a new one.")

    def handle(self, *args, **options):
        if options["command"] == "token":
            _token, raw = token_create(name=options["name"])
            self.stdout.write(raw)
            return
        if options["records"] < 0:
            raise CommandError("--records must be 0 or more")
        try:
            base_id, raw = sandbox_seed_demo(records=options["records"], token=options["token"])
        except SandboxError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"base_id={base_id}")
        self.stdout.write(f"token={raw}")
