"""Management commands: the demo connection of `make dev`, token key rotation."""

import pytest
from celery.exceptions import Retry
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from apps.airtable import services, tasks
from apps.airtable.crypto import token_decrypt, token_keys
from apps.airtable.models import AirtableConnection, Base, Record, SyncJob


@pytest.fixture(scope="module")
def committed_demo(seed):
    return seed(40)


def test_demo_connect_seeds_connects_and_queues_the_first_sync(
        team_a, server, django_capture_on_commit_callbacks):
    endpoint = f"{server.url}/sandbox/airtable"
    with django_capture_on_commit_callbacks() as queued:
        call_command("airtable_demo_connect", tenant="alpha", records=8, endpoint_url=endpoint)
    assert len(queued) == 1  # airtable.connection_sync, for the worker
    with schema_context(team_a.tenant.schema_name):
        connection = AirtableConnection.objects.get(name="Demo sandbox")
        token = token_decrypt(connection.token_encrypted)
        assert connection.endpoint_url == endpoint
        assert connection.last_tested_at is None  # nothing was asked of the server yet
    assert token.startswith("pat") and token not in connection.token_encrypted

    with django_capture_on_commit_callbacks() as queued_again:
        call_command("airtable_demo_connect", tenant="alpha", records=8, endpoint_url=endpoint)
    assert len(queued_again) == 1
    with schema_context(team_a.tenant.schema_name):
        assert AirtableConnection.objects.count() == 1
        assert token_decrypt(AirtableConnection.objects.get().token_encrypted) == token


def test_the_worker_waits_for_the_web_process_then_syncs(
        team_a, server, committed_demo, settings, django_capture_on_commit_callbacks):
    """What `make dev` does: the connection points at a server that is not up yet."""
    base_id, token = committed_demo
    settings.AIRTABLE_RETRY_ATTEMPTS = 0
    schema = team_a.tenant.schema_name
    with schema_context(schema):
        connection = services.connection_create(
            name="Demo sandbox", token=token, endpoint_url="http://127.0.0.1:9/sandbox/airtable",
            discover=False)
    arguments = {"schema_name": schema, "connection_id": connection.pk}
    with pytest.raises(Retry):
        tasks.connection_sync_task.apply(kwargs=arguments)
    with schema_context(schema):
        AirtableConnection.objects.filter(pk=connection.pk).update(
            endpoint_url=f"{server.url}/sandbox/airtable")
    with django_capture_on_commit_callbacks(execute=True):
        job_ids = tasks.connection_sync_task.apply(kwargs=arguments).get()
    with schema_context(schema):
        assert Base.objects.get(base_id=base_id).last_synced_at is not None
        assert SyncJob.objects.get(pk__in=job_ids, base__base_id=base_id).status == "succeeded"
        assert Record.objects.count() == 40
        assert AirtableConnection.objects.get(pk=connection.pk).last_test_ok is True


def test_rotating_the_token_key(team_a, server, committed_demo, settings):
    _base_id, token = committed_demo
    in_use = list(token_keys())  # other tenants' tokens stay readable through the rotation
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.AIRTABLE_TOKEN_KEYS = [old, *in_use]
    with schema_context(team_a.tenant.schema_name):
        connection = services.connection_create(
            name="Rotated", token=token, endpoint_url=f"{server.url}/sandbox/airtable")
    settings.AIRTABLE_TOKEN_KEYS = [new, old, *in_use]
    call_command("airtable_rotate_tokens")
    settings.AIRTABLE_TOKEN_KEYS = [new]
    with schema_context(team_a.tenant.schema_name):
        assert services.connection_test(connection_id=connection.pk)["ok"] is True


def test_rotation_reencrypts_what_it_can_and_names_what_no_key_opens(
        team_a, team_b, settings):
    in_use = list(token_keys())
    kept, lost, new = (Fernet.generate_key().decode() for _ in range(3))
    for team, key, name in ((team_a, kept, "Kept"), (team_b, lost, "Lost")):
        settings.AIRTABLE_TOKEN_KEYS = [key]
        with schema_context(team.tenant.schema_name):
            services.connection_create(name=name, token="patKEEPME.secret",
                                       endpoint_url="https://api.airtable.com", discover=False)
    settings.AIRTABLE_TOKEN_KEYS = [new, kept, *in_use]

    with pytest.raises(CommandError) as failure:
        call_command("airtable_rotate_tokens")

    assert "bravo: connection 'Lost'" in str(failure.value)
    assert "alpha" not in str(failure.value)
    settings.AIRTABLE_TOKEN_KEYS = [new]
    with schema_context(team_a.tenant.schema_name):
        stored = AirtableConnection.objects.get(name="Kept").token_encrypted
        assert token_decrypt(stored) == "patKEEPME.secret"
    settings.AIRTABLE_TOKEN_KEYS = [lost]  # left as it was: its own key still opens it
    with schema_context(team_b.tenant.schema_name):
        stored = AirtableConnection.objects.get(name="Lost").token_encrypted
        assert token_decrypt(stored) == "patKEEPME.secret"
