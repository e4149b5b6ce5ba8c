"""Connections over the REST API: create, list, test, delete; the token never leaves."""

import json

import pytest
from django_celery_beat.models import PeriodicTask
from django_tenants.utils import schema_context

from apps.airtable.models import AirtableConnection, Base

URL = "/api/v1/airtable/connections"


def _endpoint(server) -> str:
    return f"{server.url}/sandbox/airtable"


def _create(client, server, token, name="Sandbox"):
    return client.post(URL, {"name": name, "token": token, "endpoint_url": _endpoint(server)},
                       format="json")


def test_create_discovers_bases_and_never_returns_the_token(team_a, client_for, server,
                                                           make_base):
    sandbox = make_base(3)
    client = client_for(jwt=team_a.jwt())
    answer = _create(client, server, sandbox.token)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["name"] == "Sandbox"
    assert body["last_test_ok"] is True
    assert body["base_count"] >= 1
    assert "token" not in body
    assert sandbox.token not in answer.content.decode()

    listing = client.get(URL)
    assert listing.status_code == 200
    assert [item["id"] for item in listing.json()["results"]] == [body["id"]]
    assert sandbox.token not in listing.content.decode()

    bases = client.get("/api/v1/airtable/bases").json()["results"]
    mine = next(base for base in bases if base["id"] == sandbox.base_id)
    assert mine == {**mine, "name": "Inventory", "connection_id": body["id"],
                    "last_synced_at": None, "permission_level": "create"}


def test_each_discovered_base_gets_a_spread_periodic_sync(team_a, client_for, server, make_base):
    sandbox = make_base(1)
    _create(client_for(jwt=team_a.jwt()), server, sandbox.token)
    name = f"airtable-sync:{team_a.tenant.schema_name}:{sandbox.base_id}"
    task = PeriodicTask.objects.get(name=name)
    assert task.task == "airtable.base_sync_scheduled"
    assert json.loads(task.kwargs) == {"schema_name": team_a.tenant.schema_name,
                                       "base_id": sandbox.base_id}
    minute = task.crontab.minute
    offset, step = minute.split("/")[0].split("-")[0], minute.split("/")[1]
    assert step == "5" and 0 <= int(offset) < 5


def test_a_refused_token_is_not_stored(team_a, client_for, server):
    client = client_for(jwt=team_a.jwt())
    answer = _create(client, server, "patAAAAAAAAAAAAAA." + "0" * 64)
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "ERROR_AIRTABLE_AUTHENTICATION_FAILED"
    assert "AUTHENTICATION_REQUIRED" in answer.json()["detail"]
    with schema_context(team_a.tenant.schema_name):
        assert not AirtableConnection.objects.exists()


def test_an_unreachable_endpoint_is_stored_with_its_error(team_a, client_for, settings):
    settings.AIRTABLE_RETRY_ATTEMPTS = 0
    client = client_for(jwt=team_a.jwt())
    answer = client.post(URL, {"name": "Later", "token": "patAAAAAAAAAAAAAA." + "0" * 64,
                               "endpoint_url": "http://127.0.0.1:9/sandbox/airtable"},
                         format="json")
    assert answer.status_code == 201
    assert answer.json()["last_test_ok"] is False
    assert "could not be reached" in answer.json()["last_error"]


def test_endpoint_must_be_airtable_or_the_sandbox(team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    for endpoint in ("http://169.254.169.254/latest", "file:///etc/passwd",
                     "https://evil.example/sandbox/airtable?x=1", "ftp://x/sandbox/airtable"):
        answer = client.post(URL, {"name": "x", "token": "patX", "endpoint_url": endpoint},
                             format="json")
        assert answer.status_code == 400, endpoint
        assert answer.json()["code"] == "ERROR_VALIDATION"
        assert "endpoint_url" in answer.json()["errors"]


def test_test_endpoint_reports_and_remembers(team_a, client_for, server, make_base):
    sandbox = make_base(1)
    client = client_for(jwt=team_a.jwt())
    connection_id = _create(client, server, sandbox.token).json()["id"]
    answer = client.post(f"{URL}/{connection_id}/test")
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is True
    assert body["user_id"].startswith("usr")
    assert "data.records:read" in body["scopes"]
    assert sandbox.token not in answer.content.decode()


def test_test_of_a_broken_connection_says_why(team_a, client_for, server, make_base, settings):
    sandbox = make_base(1)
    client = client_for(jwt=team_a.jwt())
    connection_id = _create(client, server, sandbox.token).json()["id"]
    with schema_context(team_a.tenant.schema_name):
        AirtableConnection.objects.filter(pk=connection_id).update(
            endpoint_url="http://127.0.0.1:9/sandbox/airtable")
    settings.AIRTABLE_RETRY_ATTEMPTS = 0
    body = client.post(f"{URL}/{connection_id}/test").json()
    assert body["ok"] is False
    assert body["code"] == "ERROR_AIRTABLE_UNAVAILABLE"
    connection = client.get(f"{URL}/{connection_id}").json()
    assert connection["last_test_ok"] is False
    assert connection["last_error"]


def test_delete_removes_bases_mirror_and_schedules(team_a, client_for, server, make_base):
    sandbox = make_base(1)
    client = client_for(jwt=team_a.jwt())
    connection_id = _create(client, server, sandbox.token).json()["id"]
    assert client.delete(f"{URL}/{connection_id}").status_code == 204
    assert client.get(f"{URL}/{connection_id}").status_code == 404
    with schema_context(team_a.tenant.schema_name):
        assert not Base.objects.filter(base_id=sandbox.base_id).exists()
    assert not PeriodicTask.objects.filter(name__endswith=sandbox.base_id).exists()
    assert client.delete(f"{URL}/{connection_id}").status_code == 404


def test_only_owners_and_admins_manage_connections(team_a, client_for, server, make_base):
    sandbox = make_base(1)
    owner = client_for(jwt=team_a.jwt())
    connection_id = _create(owner, server, sandbox.token).json()["id"]
    member = team_a.add_member("member@alpha.example.com", "member")
    from apps.accounts.services import tokens_issue

    as_member = client_for(jwt=tokens_issue(user=member, tenant=team_a.tenant)["access"])
    assert as_member.get(URL).status_code == 200
    for answer in (_create(as_member, server, sandbox.token),
                   as_member.post(f"{URL}/{connection_id}/test"),
                   as_member.delete(f"{URL}/{connection_id}")):
        assert answer.status_code == 403
        assert answer.json()["code"] == "ERROR_ROLE_REQUIRED"
    read_only = client_for(key=team_a.api_key(scopes=("read",)))
    assert read_only.delete(f"{URL}/{connection_id}").json()["code"] == "ERROR_READ_ONLY"


@pytest.mark.parametrize("body", [
    {},
    {"name": "x"},
    {"token": "patX"},
    {"name": "", "token": "patX"},
    {"name": ["x"], "token": "patX"},
    {"name": "x", "token": {"a": 1}},
    {"name": "x" * 5000, "token": "patX"},
    {"name": "x", "token": "p" * 100_000},
    {"name": "\u0000", "token": "patX"},
    {"name": "ünïcødé ✓", "token": "pat\u0000"},
    {"name": "x", "token": "patX", "endpoint_url": 12},
])
def test_bad_input_is_a_400(team_a, client_for, body):
    answer = client_for(jwt=team_a.jwt()).post(URL, body, format="json")
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"


def test_bad_ids_are_404s(team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    for connection_id in ("abc", "99999999", "1" * 40, "%00", "é"):
        assert client.get(f"{URL}/{connection_id}").status_code == 404
        assert client.post(f"{URL}/{connection_id}/test").status_code == 404


def test_update_a_connection(team_a, client_for, server, make_base):
    sandbox = make_base(1)
    client = client_for(jwt=team_a.jwt())
    connection_id = _create(client, server, sandbox.token).json()["id"]
    renamed = client.patch(f"{URL}/{connection_id}", {"name": "Renamed"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Renamed"
    broken = client.patch(f"{URL}/{connection_id}", {"token": "patBBBBBBBBBBBBBB." + "1" * 64},
                          format="json")
    assert broken.status_code == 200
    assert broken.json()["last_test_ok"] is False
    assert "patBBBBBBBBBBBBBB" not in broken.content.decode()
    fixed = client.patch(f"{URL}/{connection_id}", {"token": sandbox.token}, format="json")
    assert fixed.json()["last_test_ok"] is True
    assert client.patch(f"{URL}/{connection_id}", {"endpoint_url": "http://x.example/"},
                        format="json").status_code == 400


def test_sandbox_endpoint_must_be_this_platform_at_an_allowed_address(team_a, client_for,
                                                                      settings):
    client = client_for(jwt=team_a.jwt())
    for endpoint in ("https://evil.example/sandbox/airtable", "http://10.0.0.7/sandbox/airtable",
                     "http://127.0.0.1@evil.example/sandbox/airtable"):
        answer = client.post(URL, {"name": "x", "token": "patX", "endpoint_url": endpoint},
                             format="json")
        assert answer.status_code == 400, endpoint
        assert "endpoint_url" in answer.json()["errors"]
    settings.URLGUARD_ALLOWED_NETWORKS = []
    answer = client.post(URL, {"name": "x", "token": "patX",
                               "endpoint_url": "http://127.0.0.1:9/sandbox/airtable"},
                         format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "ERROR_VALIDATION"
    assert "endpoint_url" in answer.json()["errors"]
