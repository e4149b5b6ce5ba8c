"""`manage.py sandbox token` and
`manage.py sandbox seed [--shape demo|large] [--records N] [--seed S] [--token T]`."""

import time

from django.core.management.base import BaseCommand, CommandError

from apps.sandbox.exceptions import SandboxError
from apps.sandbox.services import sandbox_seed_demo, sandbox_seed_large, token_create

DEFAULT_RECORDS = {"demo": 200, "large": 50_000}


class Command(BaseCommand):
    help = "The Airtable sandbox: make a token, or seed the demo CRM or the large base."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        token = commands.add_parser("token", help="Print a new sandbox token.")
        token.add_argument("--name", default="", help="A label for the token.")
        seed = commands.add_parser("seed", help="Create a base; print its id and token.")
        seed.add_argument("--shape", choices=sorted(DEFAULT_RECORDS), default="demo",
                          help="demo: the small CRM (4 tables); large: 34 tables, 539 fields, "
                               "88 relationships.")
        seed.add_argument("--records", type=int, default=None,
                          help="Records spread over the tables (default 200 for demo, "
                               "50,000 for large).")
        seed.add_argument("--seed", type=int, default=0,
                          help="Large shape only: another seed gives other values (default 0).")
        seed.add_argument("--token", default=None,
                          help="Use this token (made if unknown) instead of a new one.")

    def handle(self, *args, **options):
        if options["command"] == "token":
            _token, raw = token_create(name=options["name"])
            self.stdout.write(raw)
            return
        shape = options["shape"]
        records = options["records"]
        if records is None:
            records = DEFAULT_RECORDS[shape]
        if records < 0:
            raise CommandError("--records must be 0 or more")
        started = time.monotonic()
        try:
            if shape == "large":
                base_id, raw = sandbox_seed_large(records=records, seed=options["seed"],
                                                  token=options["token"])
            else:
                base_id, raw = sandbox_seed_demo(records=records, token=options["token"])
        except SandboxError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"base_id={base_id}")
        self.stdout.write(f"token={raw}")
        if shape == "large":
            self.stderr.write(f"seeded in {time.monotonic() - started:.1f} s")
