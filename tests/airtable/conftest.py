"""Airtable gateway fixtures: demo bases committed in the sandbox, a real
platform server to talk to over HTTP, and connections made as team alpha."""

from __future__ import annotations

import httpx
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.airtable import services
from apps.sandbox.services import sandbox_seed_demo, token_create

# The sandbox's own rate limits off (0), for tests that are not about them.
UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}


@pytest.fixture(autouse=True)
def _client_settings(settings):
    """The platform's own limiter is not under test here: generous limits, short waits."""
    settings.AIRTABLE_RATE_LIMIT_PER_BASE = 1000.0
    settings.AIRTABLE_RATE_LIMIT_PER_TOKEN = 5000.0
    settings.AIRTABLE_RATE_LIMIT_WAIT_SECONDS = 0.2
    settings.AIRTABLE_RETRY_BACKOFF_SECONDS = 0.01
    settings.AIRTABLE_INTERACTIVE_MAX_WAIT_SECONDS = 5.0


@pytest.fixture(scope="session")
def server(platform_server_factory):
    return platform_server_factory(**UNLIMITED)


@pytest.fixture(scope="session")
def seed(django_db_setup, django_db_blocker):
    """seed(records) -> (base_id, token): a new demo base, committed so the server sees it."""

    def make(records: int) -> tuple[str, str]:
        with django_db_blocker.unblock():
            return sandbox_seed_demo(records=records)

    return make


@pytest.fixture(scope="session")
def shared_base(seed) -> tuple[str, str]:
    """A demo base that no test changes (read-only tests share it)."""
    return seed(400)


@pytest.fixture(scope="module")
def sandbox_token(django_db_setup, django_db_blocker) -> str:
    """A sandbox token of this module's own, committed; bases are made with it over HTTP."""
    with django_db_blocker.unblock():
        return token_create(name="airtable tests")[1]


ITEMS_TABLE = {
    "name": "Items",
    "fields": [
        {"name": "Name", "type": "singleLineText"},
        {"name": "Qty", "type": "number", "options": {"precision": 0}},
        {"name": "Status", "type": "singleSelect",
         "options": {"choices": [{"name": "Todo"}, {"name": "Doing"}, {"name": "Done"}]}},
        {"name": "Price", "type": "currency", "options": {"precision": 2, "symbol": "$"}},
        {"name": "Due", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
        {"name": "Done", "type": "checkbox", "options": {"icon": "check", "color": "greenBright"}},
        {"name": "Notes", "type": "multilineText"},
    ],
}


def item_fields(index: int) -> dict:
    fields = {"Name": f"Item {index:05d}", "Qty": index % 17,
              "Status": ["Todo", "Doing", "Done"][index % 3], "Price": round(index * 1.25, 2),
              "Due": f"2026-{index % 12 + 1:02d}-{index % 28 + 1:02d}"}
    if index % 4 == 0:
        fields["Done"] = True
    if index % 5 == 0:
        fields["Notes"] = f"note {index}"
    return fields


@pytest.fixture
def make_base(server, sandbox_token):
    """make_base(records=30, tables=None) -> Sandbox: a new base made over HTTP (committed)."""

    def make(records: int = 30, *, url: str | None = None) -> Sandbox:
        http = httpx.Client(base_url=f"{url or server.url}/sandbox/airtable/v0", timeout=60,
                            headers={"Authorization": f"Bearer {sandbox_token}"})
        answer = http.post("/meta/bases", json={"name": "Inventory", "tables": [ITEMS_TABLE]})
        assert answer.status_code == 200, answer.text
        sandbox = Sandbox(url or server.url, sandbox_token, answer.json()["id"])
        for start in range(0, records, 10):
            batch = [{"fields": item_fields(index)}
                     for index in range(start, min(records, start + 10))]
            created = sandbox.http.post(f"/{sandbox.base_id}/Items", json={"records": batch})
            assert created.status_code == 200, created.text
        return sandbox

    return make


class Sandbox:
    """The sandbox's Airtable API over HTTP, with a base's token."""

    def __init__(self, url: str, token: str, base_id: str):
        self.url = f"{url}/sandbox/airtable"
        self.token = token
        self.base_id = base_id
        self.http = httpx.Client(base_url=f"{self.url}/v0",
                                 headers={"Authorization": f"Bearer {token}"}, timeout=60)

    def tables(self) -> list[dict]:
        return self.http.get(f"/meta/bases/{self.base_id}/tables").json()["tables"]

    def list(self, table: str, **params) -> httpx.Response:
        return self.http.get(f"/{self.base_id}/{table}", params=params)

    def all(self, table: str, **params) -> list[dict]:
        records, offset = [], None
        while True:
            page = self.list(table, **params, **({"offset": offset} if offset else {})).json()
            records += page["records"]
            offset = page.get("offset")
            if not offset:
                return records

    def create(self, table: str, fields: dict) -> dict:
        answer = self.http.post(f"/{self.base_id}/{table}", json={"records": [{"fields": fields}]})
        assert answer.status_code == 200, answer.text
        return answer.json()["records"][0]

    def update(self, table: str, record_id: str, fields: dict) -> dict:
        answer = self.http.patch(f"/{self.base_id}/{table}",
                                 json={"records": [{"id": record_id, "fields": fields}]})
        assert answer.status_code == 200, answer.text
        return answer.json()["records"][0]

    def delete(self, table: str, record_id: str) -> None:
        answer = self.http.delete(f"/{self.base_id}/{table}", params={"records[]": [record_id]})
        assert answer.status_code == 200, answer.text


def connect(team, server, token: str, name: str = "Sandbox"):
    """A connection of `team` to the sandbox of `server` (in the test's transaction)."""
    with schema_context(team.tenant.schema_name):
        return services.connection_create(name=name, token=token,
                                          endpoint_url=f"{server.url}/sandbox/airtable")


def sync(team, base_id: str, *, full: bool = False, capture=None):
    """Queue a sync and run it here (eager Celery), as the worker would; the job."""
    from apps.airtable.selectors import sync_job_get

    with schema_context(team.tenant.schema_name):
        with capture(execute=True):
            job = services.base_sync(base_id=base_id, full=full)
        return sync_job_get(job_id=job.pk)


def mirror_records(team, base_id: str, table: str) -> list[dict]:
    """Every mirrored record of a table, as the records API lists them."""
    from apps.airtable import selectors

    with schema_context(team.tenant.schema_name):
        records, offset = [], None
        while True:
            page = selectors.record_list(base_id=base_id, table=table, offset=offset)
            records += page["records"]
            offset = page["offset"]
            if not offset:
                return records


def index_definitions(table) -> list[str]:
    """The definitions of the mirror's expression indexes for this table (call inside the
    table's schema)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                       "AND indexname LIKE %s", [f"airtable_rx_{table.pk}_%"])
        return [row[0] for row in cursor.fetchall()]
