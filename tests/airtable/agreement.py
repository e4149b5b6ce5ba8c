"""Comparing the mirror with the sandbox, query for query, with Airtable out of reach.

A base is synced once into a team, then its connection is pointed at a server that counts
every request and answers 503: a query the mirror passed on to Airtable shows up there (and
as an error). The sandbox answers the same queries through Django's test client (the same
views, no server, no rate limit).
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

from django.test import Client, override_settings
from django_tenants.utils import schema_context

from apps.airtable import selectors, services
from apps.airtable.models import AirtableConnection
from apps.formulas import ErrorValue, evaluate

API = "/api/v1/airtable/bases"


class CountingAirtable(ThreadingHTTPServer):
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


@contextmanager
def counting_airtable():
    counting = CountingAirtable()
    thread = threading.Thread(target=counting.serve_forever, daemon=True)
    thread.start()
    try:
        yield counting
    finally:
        counting.shutdown()
        counting.server_close()


def mirror_cut_off(team, *, base_id: str, token: str, sandbox_url: str, airtable_url: str,
                   records: int | None = None) -> None:
    """Sync the base into ``team`` (its only connection), then point the connection at
    ``airtable_url``. Call outside a test transaction (in ``django_db_blocker.unblock()``)."""
    with schema_context(team.tenant.schema_name), override_settings(
            AIRTABLE_RATE_LIMIT_PER_BASE=1000.0, AIRTABLE_RATE_LIMIT_PER_TOKEN=5000.0):
        connections_clear(team)
        made = services.connection_create(name="Mirrored", token=token,
                                          endpoint_url=f"{sandbox_url}/sandbox/airtable")
        job = services.base_sync(base_id=base_id, full=True)
        services.sync_job_run(job_id=job.pk)
        job = selectors.sync_job_get(job_id=job.pk)
        assert job.status == "succeeded", job.error
        if records is not None:
            assert job.created_count == records
        AirtableConnection.objects.filter(pk=made.pk).update(endpoint_url=airtable_url)


def connections_clear(team) -> None:
    with schema_context(team.tenant.schema_name):
        for existing in selectors.connection_list():
            services.connection_delete(connection_id=existing.pk)


class InProcessSandbox:
    """The sandbox's Airtable API through Django's test client: the same views, no server."""

    def __init__(self, token: str, base_id: str):
        self.base_id = base_id
        self.client = Client(headers={"Authorization": f"Bearer {token}"})

    def get(self, path: str, **params):
        query = f"?{urlencode(params, doseq=True)}" if params else ""
        answer = self.client.get(f"/sandbox/airtable/v0/{path}{query}")
        assert answer.status_code == 200, (path, params, answer.content[:500])
        return answer.json()

    def table(self, name: str) -> dict:
        return next(item for item in self.get(f"meta/bases/{self.base_id}/tables")["tables"]
                    if item["name"] == name)

    def records(self, table: str, **params) -> list[dict]:
        """Every record of the answer, page after page."""
        records, offset = [], None
        while True:
            page = self.get(f"{self.base_id}/{table}", pageSize=100, **params,
                            **({"offset": offset} if offset else {}))
            records += page["records"]
            offset = page.get("offset")
            if not offset:
                return records


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


SORTS = ("sort asc", "sort desc")
FILTERS = ("blank", "not blank", "equality", "comparison")


def field_queries(field: dict, records: list[dict], strings: list[dict],
                  kinds=SORTS + FILTERS) -> list[tuple[str, dict]]:
    """(kind, query parameters) of the ``kinds`` asked of ``field``: blank, not blank,
    equality and comparison at a value that occurs, and both sorts; a kind such as
    ``"not blank, sort desc"`` asks both at once."""
    name = field["name"]
    ref = "{" + name + "}"
    queries = {"blank": {"filterByFormula": f"{ref} = BLANK()"},
               "not blank": {"filterByFormula": f"NOT({ref} = BLANK())"},
               "sort asc": {"sort[0][field]": name, "sort[0][direction]": "asc"},
               "sort desc": {"sort[0][field]": name, "sort[0][direction]": "desc"}}
    value, shown = _sample(records, strings, name)
    if value is not None:
        literal = _literal(field, value, shown)
        queries["equality"] = {"filterByFormula": f"{ref} = {literal}"}
        queries["comparison"] = {"filterByFormula": f"{ref} > {literal}"}
    asked = []
    for kind in kinds:
        parts = kind.split(", ")
        if all(part in queries for part in parts):
            asked.append((kind, {key: value for part in parts
                                 for key, value in queries[part].items()}))
    return asked


def disagreements(client, sandbox: InProcessSandbox, table: str,
                  queries: list[tuple[str, dict]]) -> list[str]:
    """The queries whose answer through the platform's records API (``client``) is not the
    sandbox's, each with what differed."""
    failures = []
    for what, params in queries:
        expected = sandbox.records(table, **params)
        got = _mirrored(client, f"{API}/{sandbox.base_id}/tables/{table}/records", params)
        if isinstance(got, str):
            failures.append(f"{what} {params} -> {got}")
        elif got != expected:
            got_ids = [record["id"] for record in got]
            want_ids = [record["id"] for record in expected]
            differ = "other records" if got_ids != want_ids else "other values"
            failures.append(f"{what} {params} -> {differ}")
    return failures


def _mirrored(client, url: str, params: dict) -> list[dict] | str:
    """Every record the platform answers, page after page, or what went wrong."""
    records, offset = [], None
    while True:
        answer = client.get(url, {**params, "pageSize": 100,
                                  **({"offset": offset} if offset else {})})
        if answer.status_code != 200:
            return f"{answer.status_code} {answer.json().get('code')}"
        records += answer.json()["records"]
        offset = answer.json().get("offset")
        if not offset:
            return records
