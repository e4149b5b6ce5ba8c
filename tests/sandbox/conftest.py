"""Sandbox fixtures: tokens and bases made through the services, and clients that talk
to the sandbox in-process (Django's test client) or over HTTP (a real server)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from apps.sandbox.services import sandbox_seed_demo, token_create

PREFIX = "/sandbox/airtable/v0"


class SandboxClient:
    """Django's test client with a sandbox token and JSON bodies."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, body=None, *, raw: str | bytes | None = None,
             **params):
        url = f"{PREFIX}/{path.lstrip('/')}"
        if params:
            url = f"{url}?{urlencode(params, doseq=True)}"
        handler = getattr(self.client, method.lower())
        if body is None and raw is None:
            return handler(url, headers=self.headers)
        data = raw if raw is not None else json.dumps(body)
        return handler(url, data=data, content_type="application/json", headers=self.headers)

    def get(self, path, **params):
        return self.call("GET", path, **params)

    def post(self, path, body=None, **kwargs):
        return self.call("POST", path, body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.call("PATCH", path, body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path, **params):
        return self.call("DELETE", path, **params)


@pytest.fixture(autouse=True)
def _unlimited(settings):
    """In-process requests come fast; the limits have tests of their own."""
    settings.SANDBOX_RATE_LIMIT_PER_BASE = 0
    settings.SANDBOX_RATE_LIMIT_PER_TOKEN = 0


@pytest.fixture
def token(db) -> str:
    return token_create(name="test")[1]


@pytest.fixture
def sandbox(token) -> SandboxClient:
    return SandboxClient(token)


@pytest.fixture
def demo(db) -> tuple[str, str]:
    """A demo base with 60 records, made inside the test's transaction: (base id, token)."""
    return sandbox_seed_demo(records=60)


@pytest.fixture
def demo_client(demo) -> SandboxClient:
    return SandboxClient(demo[1])


@pytest.fixture
def small(sandbox) -> dict:
    """A base made through the meta API: Teams ← People, with computed fields on both sides.

    Returns {"base": id, "teams": table id, "people": table id, "fields": {name: id}}."""
    made = sandbox.post("meta/bases", {"name": "Small", "workspaceId": "wspSandbox0000000",
                                       "tables": [{"name": "Teams", "fields": [
                                           {"name": "Name", "type": "singleLineText"}]}]})
    assert made.status_code == 200, made.json()
    base_id, teams = made.json()["id"], made.json()["tables"][0]["id"]
    people = sandbox.post(f"meta/bases/{base_id}/tables", {"name": "People", "fields": [
        {"name": "Name", "type": "singleLineText"},
        {"name": "Age", "type": "number", "options": {"precision": 0}},
        {"name": "Level", "type": "singleSelect",
         "options": {"choices": [{"name": "Junior"}, {"name": "Senior"}, {"name": "Lead"}]}},
        {"name": "Team", "type": "multipleRecordLinks", "options": {"linkedTableId": teams}},
        {"name": "Skills", "type": "multipleSelects",
         "options": {"choices": [{"name": "Python"}, {"name": "SQL"}]}},
        {"name": "Born", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
        {"name": "Active", "type": "checkbox"},
    ]}).json()["id"]
    schema = {table["name"]: table for table in
              sandbox.get(f"meta/bases/{base_id}/tables").json()["tables"]}
    members = next(f["id"] for f in schema["Teams"]["fields"] if f["name"] == "People")
    age = next(f["id"] for f in schema["People"]["fields"] if f["name"] == "Age")
    name = next(f["id"] for f in schema["People"]["fields"] if f["name"] == "Name")
    for spec in (
        {"name": "Size", "type": "count", "options": {"recordLinkFieldId": members}},
        {"name": "Total age", "type": "rollup", "options": {
            "recordLinkFieldId": members, "fieldIdInLinkedTable": age, "formula": "SUM(values)"}},
        {"name": "Member names", "type": "multipleLookupValues", "options": {
            "recordLinkFieldId": members, "fieldIdInLinkedTable": name}},
    ):
        assert sandbox.post(f"meta/bases/{base_id}/tables/{teams}/fields", spec).status_code == 200
    formula = sandbox.post(f"meta/bases/{base_id}/tables/{people}/fields", {
        "name": "Label", "type": "formula",
        "options": {"formula": "{Name} & ' (' & {Age} & ') of ' & {Team}"}})
    assert formula.status_code == 200, formula.json()
    fields = {}
    for table in sandbox.get(f"meta/bases/{base_id}/tables").json()["tables"]:
        for field in table["fields"]:
            fields[f"{table['name']}.{field['name']}"] = field["id"]
    return {"base": base_id, "teams": teams, "people": people, "fields": fields}
