"""Connect the demo tenant to the sandbox's demo base (run by `make seed`).

The sandbox is served by the platform's own web process, which is not up yet
when `make seed` runs, so this command only seeds the sandbox (through its
services), stores the connection without calling it, and queues the task
`airtable.connection_sync`: the worker discovers the base and syncs it once
the web process answers (the task retries while it does not). Run again, it
changes nothing and queues a sync only if the base was never synced.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.accounts.selectors import membership_list
from apps.airtable.clients import background_calls
from apps.airtable.crypto import token_decrypt
from apps.airtable.models import AirtableConnection, Base
from apps.airtable.services import connection_create, sync_job_run
from apps.airtable.services.sync import connection_sync
from apps.core.jobs import enqueue_on_commit
from apps.sandbox.services import sandbox_seed_demo
from apps.tenants.selectors import tenant_get_by_slug
from apps.workflows.services import workflows_seed_demo

CONNECTION_NAME = "Demo sandbox"


class Command(BaseCommand):
    help = "Connect a tenant (default: demo) to the sandbox's demo base and queue its first sync."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="demo", help="slug of the tenant to connect")
        parser.add_argument("--records", type=int, default=500,
                            help="records in the demo base when it is made")
        parser.add_argument("--endpoint-url", default=None,
                            help="default: http://localhost:$PORT/sandbox/airtable")
        parser.add_argument("--now", action="store_true",
                            help="sync here and now (the web process must be up) instead of "
                                 "queueing it for the worker")

    def handle(self, *args, **options):
        tenant = tenant_get_by_slug(options["tenant"])
        if tenant is None:
            raise CommandError(f"No tenant '{options['tenant']}': run `manage.py seed_demo`.")
        endpoint = options["endpoint_url"] or \
            f"http://localhost:{settings.PORT}/sandbox/airtable"
        with schema_context(tenant.schema_name):
            connection = AirtableConnection.objects.filter(name=CONNECTION_NAME).first()
            token = token_decrypt(connection.token_encrypted) if connection else None
        base_id, token = sandbox_seed_demo(records=options["records"], token=token)
        with schema_context(tenant.schema_name):
            owner = membership_list(tenant=tenant).filter(role="owner").first()
            if owner is not None:
                workflows_seed_demo(owner_id=owner.user_id, base_id=base_id)
            if connection is None:
                connection = connection_create(name=CONNECTION_NAME, token=token,
                                               endpoint_url=endpoint, discover=False)
                self.stdout.write(f"Connected tenant '{tenant.slug}' to sandbox base {base_id}.")
            elif connection.endpoint_url != endpoint:
                connection.endpoint_url = endpoint
                connection.save(update_fields=["endpoint_url"])
            if Base.objects.filter(base_id=base_id, last_synced_at__isnull=False).exists():
                self.stdout.write(f"Sandbox base {base_id} is connected and synced already.")
                return
            if options["now"]:
                with background_calls():
                    for job in connection_sync(connection_id=connection.pk):
                        sync_job_run(job_id=job.pk)
                self.stdout.write(self.style.SUCCESS(f"Synced sandbox base {base_id}."))
                return
            enqueue_on_commit("airtable.connection_sync", schema_name=tenant.schema_name,
                              connection_id=connection.pk)
        self.stdout.write(f"The worker will sync sandbox base {base_id} once the web process "
                          f"answers at {endpoint}.")
