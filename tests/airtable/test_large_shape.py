"""The large base's shape, mirrored: every field of every table, filtered and sorted through
the records API, answers what the sandbox answers, record for record, with no request to
Airtable.

A small instance (4 records a table) is seeded, synced once into a team of this module's own
and then the connection is pointed at a server that counts every request and answers 503:
a query the mirror passed on to Airtable shows up as a request there (and as an error).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from apps.airtable import selectors, services
from apps.airtable.models import AirtableConnection
from apps.formulas import ErrorValue, evaluate
from apps.sandbox.services import sandbox_seed_large
from apps.sandbox.services.seed_large import TABLE_NAMES

from ..conftest import committed_team
from .conftest import Sandbox

pytestmark = pytest.mark.django_db

RECORDS = 4 * len(TABLE_NAMES)
API = "/api/v1/airtable/bases"


class _CountingAirtable(ThreadingHTTPServer):
    """Stands where Airtable was: counts each request and answers 503."""

    daemon_threads = True

    def __init__(self):
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(handler):
                self.requests.append(f"{handler.command} {handler.path}")
                body = json.dumps({"error": {"type": "SERVICE_UNAVAILABLE",
                                             "message": "not Airtable"}}).encode()
                handler.send_response(503)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def airtable_gone():
    counting = _CountingAirtable()
    thread = threading.Thread(target=counting.serve_forever, daemon=True)
    thread.start()
    yield counting
    counting.shutdown()


@pytest.fixture(scope="module")
def large(django_db_setup, django_db_blocker, server, airtable_gone):
    """(team, Sandbox of the large base): synced once, then cut off from Airtable."""
    with django_db_blocker.unblock():
        base_id, token = sandbox_seed_large(records=RECORDS, seed=1)
        team = committed_team("large-shape")
        with schema_context(team.tenant.schema_name), override_settings(
                AIRTABLE_RATE_LIMIT_PER_BASE=1000.0, AIRTABLE_RATE_LIMIT_PER_TOKEN=5000.0):
            for existing in selectors.connection_list():
                services.connection_delete(connection_id=existing.pk)
            made = services.connection_create(name="Large", token=token,
                                              endpoint_url=f"{server.url}/sandbox/airtable")
            job = services.base_sync(base_id=base_id, full=True)
            services.sync_job_run(job_id=job.pk)
            job = selectors.sync_job_get(job_id=job.pk)
            assert job.status == "succeeded", job.error
            assert job.created_count == RECORDS
            AirtableConnection.objects.filter(pk=made.pk).update(endpoint_url=airtable_gone.url)
    yield team, Sandbox(server.url, token, base_id)
    with django_db_blocker.unblock(), schema_context(team.tenant.schema_name):
        for existing in selectors.connection_list():
            services.connection_delete(connection_id=existing.pk)


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _literal(field: dict, value, shown: str | None) -> str:
    """A formula literal equal to ``value`` as a formula reads the field."""
    if isinstance(value, bool):
        return "TRUE()"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _quoted(value)
    if field["type"] == "multipleRecordLinks":
        return _quoted(shown or "")
    text = evaluate("{F} & ''", {"F": value})
    return _quoted("" if isinstance(text, ErrorValue) else str(text))


def _sample(records: list[dict], strings: list[dict], name: str):
    """The value (and its text) of a record in the middle that has one, errors aside."""
    candidates = [(record["fields"][name], shown["fields"].get(name))
                  for record, shown in zip(records, strings, strict=True)
                  if name in record["fields"]
                  and not (isinstance(record["fields"][name], dict)
                           and {"error", "specialValue"} & set(record["fields"][name]))]
    return candidates[len(candidates) // 2] if candidates else (None, None)


def _queries(field: dict, records: list[dict], strings: list[dict]) -> list[tuple[str, dict]]:
    name = field["name"]
    ref = "{" + name + "}"
    queries = [("blank", {"filterByFormula": f"{ref} = BLANK()"}),
               ("not blank", {"filterByFormula": f"NOT({ref} = BLANK())"}),
               ("sort asc", {"sort[0][field]": name, "sort[0][direction]": "asc"}),
               ("sort desc", {"sort[0][field]": name, "sort[0][direction]": "desc"})]
    value, shown = _sample(records, strings, name)
    if value is not None:
        literal = _literal(field, value, shown)
        queries += [("equality", {"filterByFormula": f"{ref} = {literal}"}),
                    ("comparison", {"filterByFormula": f"{ref} > {literal}"})]
    return queries


class _InProcessSandbox:
    """The sandbox's Airtable API through Django's test client: the same views, no server."""

    def __init__(self, sandbox: Sandbox):
        self.base_id = sandbox.base_id
        self.client = Client(headers={"Authorization": f"Bearer {sandbox.token}"})

    def get(self, path: str, **params):
        query = f"?{urlencode(params, doseq=True)}" if params else ""
        answer = self.client.get(f"/sandbox/airtable/v0/{path}{query}")
        assert answer.status_code == 200, (path, params, answer.content[:500])
        return answer.json()

    def records(self, table: str, **params) -> list[dict]:
        page = self.get(f"{self.base_id}/{table}", pageSize=100, **params)
        assert "offset" not in page, "the small instance has pages of one"
        return page["records"]


@pytest.fixture
def quick(settings):
    """The sandbox answers in this process without limits; a request sent to Airtable is
    not retried (it is a failure here anyway)."""
    settings.SANDBOX_RATE_LIMIT_PER_BASE = 0
    settings.SANDBOX_RATE_LIMIT_PER_TOKEN = 0
    settings.AIRTABLE_RETRY_ATTEMPTS = 1


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_every_field_filtered_and_sorted_agrees_with_the_sandbox(large, airtable_gone, quick,
                                                                 client_for, table):
    team, remote = large
    sandbox = _InProcessSandbox(remote)
    schema = next(item for item in sandbox.get(f"meta/bases/{sandbox.base_id}/tables")["tables"]
                  if item["name"] == table)
    records = sandbox.records(table)
    assert records, table
    strings = sandbox.records(table, cellFormat="string", timeZone="UTC", userLocale="en-us")
    client = client_for(key=team.api_key(("read",)))
    asked_before = len(airtable_gone.requests)
    failures = []
    for field in schema["fields"]:
        for kind, params in _queries(field, records, strings):
            expected = sandbox.records(table, **params)
            answer = client.get(f"{API}/{sandbox.base_id}/tables/{table}/records",
                                {**params, "pageSize": 100})
            if answer.status_code != 200:
                failures.append(f"{field['type']} {kind}: {{{field['name']}}} {params} -> "
                                f"{answer.status_code} {answer.json().get('code')}")
            elif answer.json()["records"] != expected:
                got_ids = [record["id"] for record in answer.json()["records"]]
                want_ids = [record["id"] for record in expected]
                what = "other records" if got_ids != want_ids else "other values"
                failures.append(f"{field['type']} {kind}: {{{field['name']}}} {params} -> "
                                f"{what}")
    asked = airtable_gone.requests[asked_before:]
    assert not failures and not asked, (
        f"{len(failures)} queries of {table} differ from the sandbox and {len(asked)} "
        "requests went to Airtable:\n" + "\n".join(failures))
