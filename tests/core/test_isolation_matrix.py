"""The tenant-isolation matrix: every tenant route the URL resolver knows and every tool of
the registry, with tenant A's real object ids and tenant B's credentials (JWT, API key in
both headers, a browser session, B's credential on A's host; MCP for the tools). Nothing
here lists the routes or tools by hand: a new one is walked automatically, and one whose
path parameter or tool argument has no object of A's to fill it fails the test until it
is taught here."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from apps.accounts import services as account_services
from apps.accounts.selectors import SESSION_TENANT_KEY, caller_for_member
from apps.airtable import selectors as airtable_selectors
from apps.airtable import services as airtable_services
from apps.core.tools import tool_registry
from apps.sandbox.services import sandbox_seed_demo
from tests.airtable.conftest import UNLIMITED
from tests.conftest import committed_team

pytestmark = pytest.mark.django_db

SECRET = "matrix-a-secret-7Q2"

# Routes outside any tenant, each with why: what answers there is not a tenant's data, or
# the credential is the URL's own token (tested by the owning app).
PUBLIC_ROUTES = {
    "health": "liveness", "api-health": "readiness", "api-schema": "OpenAPI document",
    "api-docs": "OpenAPI viewer", "prometheus-django-metrics": "scrape (METRICS_TOKEN)",
    "api-register": "sign-up", "api-login": "sign-in", "api-refresh": "token refresh",
    "api-logout": "sign-out", "api-invitation-accept": "the invitation token is the credential",
    "web-invitation-accept": "the invitation token is the credential",
    "api-workflow-webhook": "the hook token is the credential",
    "web-signup": "sign-up", "web-signup-sent": "sign-up", "web-signup-confirm": "sign-up",
    "web-login": "sign-in", "web-logout": "sign-out",
    "web-password-reset": "reset request", "web-password-reset-sent": "static page",
    "web-password-reset-confirm": "the reset token is the credential",
    "web-password-reset-done": "static page",
    "oauth-server-metadata": "RFC 8414", "oauth-resource-metadata": "RFC 9728",
    "oauth-resource-metadata-mcp": "RFC 9728", "authorize": "OAuth consent of the signed-in user",
    "token": "OAuth token endpoint", "revoke-token": "OAuth revocation",
    "dcr-register": "dynamic client registration",
    "dcr-register-management": "the registration access token is the credential",
}
# Whole prefixes outside any tenant: the operator's admin (staff of the public schema) and
# the sandbox (an Airtable server of its own, with its own tokens).
PUBLIC_PREFIXES = ("admin/", "sandbox/airtable/", "favicon.ico")

# Routes of the signed-in user rather than of a tenant: on any host they show the user's own
# account, never a tenant's data.
USER_ROUTES = {"web-team-new", "web-password-change", "web-password-change-done"}

# Route parameters that name no object: the value to put there.
NON_OBJECT_PARAMS = {"action": "run"}

# What B may answer with: refused, not found, or (pages) sent elsewhere with a message.
API_REFUSED = {403, 404}
PAGE_REFUSED = {302, 403, 404, 405}

def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def tenant_routes() -> list[tuple[str, URLPattern]]:
    """Every route of the resolver that serves a tenant."""
    routes = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if pattern.name in PUBLIC_ROUTES or route.startswith(PUBLIC_PREFIXES):
            continue
        routes.append((route, pattern))
    return routes


def _methods(pattern: URLPattern) -> list[str]:
    view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class",
                                                             None)
    if view is None:
        return ["get", "post"]
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]


def _app_of(pattern: URLPattern) -> str:
    return pattern.callback.__module__.split(".")[1]


def _params(route: str) -> list[str]:
    import re

    return re.findall(r"<(?:\w+:)?(\w+)>", route)


class World:
    """Tenant A with one of everything, committed; tenant B with a credential of each kind."""

    def __init__(self, server):
        self.server = server
        self.a = committed_team("matrix-a")
        self.b = committed_team("matrix-b")
        self.a_client = APIClient()
        self.a_client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.a.jwt()}")
        self.objects: dict = {}
        self._b_ids_apart()
        self.b_mcp_key = self.b.api_key()  # committed: the server process must see it
        self._build()
        self.markers = [SECRET, self.a.tenant.slug, self.a.owner.email]

    def _b_ids_apart(self):
        """B's own rows are numbered from a million on, so an id of A's never names one of
        B's objects by chance (each schema numbers its rows from 1): B reaching an object by
        one of A's ids is reaching A's."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                           "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = %s",
                           [self.b.tenant.schema_name])
            for (name,) in cursor.fetchall():
                cursor.execute(f'ALTER SEQUENCE "{self.b.tenant.schema_name}"."{name}" '
                               "RESTART WITH 1000000")

    def _post(self, path, data, **kwargs):
        answer = self.a_client.post(path, data, format=kwargs.pop("format", "json"), **kwargs)
        assert answer.status_code in (200, 201, 202), (path, answer.content[:500])
        return answer.json()

    def _build(self):
        a = self.a
        key = self._post("/api/v1/api-keys", {"name": f"key {SECRET}"})
        member = a.add_member(f"member-{SECRET}@example.com".lower(), "member")
        membership = member.memberships.get(tenant=a.tenant)
        invitation = account_services.invitation_create(
            tenant=a.tenant, actor=a.owner, email=f"invitee-{SECRET}@example.com".lower(),
            role="viewer").invitation
        base_id, token = sandbox_seed_demo(records=3)
        connection = self._post("/api/v1/airtable/connections", {
            "name": f"conn {SECRET}", "token": token,
            "endpoint_url": f"{self.server.url}/sandbox/airtable"})
        with schema_context(a.tenant.schema_name):
            job = airtable_services.base_sync(base_id=base_id, full=True)
            job = airtable_selectors.sync_job_get(job_id=job.pk)
            assert job.status == "succeeded", job.error
        tables = self.a_client.get(f"/api/v1/airtable/bases/{base_id}/tables").json()
        table = tables["results"][0]
        # A link field: every route that names a field answers for it (the grid's link
        # picker only for links).
        field = next((item for item in table["fields"] if item["type"] == "multipleRecordLinks"),
                     table["fields"][0])
        primary = next(f for f in table["fields"] if f["id"] == table["primary_field_id"])
        record = self._post(f"/api/v1/airtable/bases/{base_id}/tables/{table['id']}/records",
                            {"records": [{"fields": {primary["name"]: SECRET}}]})["records"][0]
        csv = f"{primary['name']}\n{SECRET} imported\n".encode()
        upload = io.BytesIO(csv)
        upload.name = f"{SECRET}.csv"
        file = self._post("/api/v1/files", {"file": upload}, format="multipart")
        assert self.a_client.get(f"/api/v1/files/{file['id']}").json()["status"] == "processed"
        import_job = self._post(f"/api/v1/files/{file['id']}/import",
                                {"base_id": base_id, "table": table["id"]})
        conversation = self._post("/api/v1/chat/conversations", {"title": f"chat {SECRET}"})
        workflow = self._post("/api/v1/workflows", {
            "name": f"flow {SECRET}", "trigger": {"type": "manual"}, "is_active": True,
            "steps": [{"id": "me", "type": "whoami", "params": {}}]})
        run = self._post(f"/api/v1/workflows/{workflow['id']}/trigger", {})
        from oauth2_provider.models import get_access_token_model

        from apps.mcp.grants import Grant

        oauth_token = get_access_token_model().objects.create(
            user=a.owner, token=f"oauth-{uuid.uuid4().hex}",
            expires=timezone.now() + timedelta(hours=1),
            scope=" ".join(Grant(tenant_slug=a.tenant.slug, can_write=True).to_scopes()))
        self._post("/api/v1/mcp/tools/call", {"name": "whoami", "arguments": {}})
        app = {"files": {"job_id": import_job["job_id"]},
               "airtable": {"job_id": str(job.pk)}}
        self.objects = {
            "key_id": key["id"], "membership_id": membership.pk,
            "invitation_id": invitation.pk, "connection_id": connection["id"],
            "base_id": base_id, "table": table["id"], "field": field["id"],
            "record_id": record["id"], "file_id": file["id"],
            "conversation_id": conversation["id"], "workflow_id": workflow["id"],
            "run_id": run["run_id"], "token_id": oauth_token.pk, "per_app": app,
            "primary": primary["name"],
        }

    def value(self, pattern: URLPattern, param: str):
        per_app = self.objects["per_app"].get(_app_of(pattern), {})
        if param in per_app:
            return per_app[param]
        if param in self.objects:
            return self.objects[param]
        return NON_OBJECT_PARAMS.get(param)

    def probe_bodies(self) -> list[dict]:
        """Bodies that together pass every write route's input validation, so the answer is
        about the object: the second for routes whose `fields` names fields."""
        objects = self.objects
        fields = {objects["primary"]: "probe"}
        first = {"name": "probe", "type": "singleLineText", "role": "member", "content": "hi",
                "records": [{"id": objects["record_id"], "fields": fields}],
                "base_id": objects["base_id"], "table": objects["table"],
                "field": objects["primary"], "value": "probe", "full": False,
                "fields": [{"name": "Probe", "type": "singleLineText"}]}
        return [first, {**first, "fields": [objects["primary"]]}]

    def b_api_clients(self) -> dict[str, Client]:
        b = self.b
        clients = {}
        for kind, extra in (("jwt", {"HTTP_AUTHORIZATION": f"Bearer {b.jwt()}"}),
                            ("api-key", {"HTTP_AUTHORIZATION": f"Bearer {b.api_key()}"}),
                            ("x-api-key", {"HTTP_X_API_KEY": b.api_key()}),
                            ("jwt-on-a-host", {"HTTP_AUTHORIZATION": f"Bearer {b.jwt()}",
                                               "HTTP_HOST": self.a.host})):
            client = APIClient()
            client.credentials(**extra)
            clients[kind] = client
        clients["session"] = self.b_session()
        clients["session-on-a-host"] = self.b_session(host=self.a.host)
        return clients

    def b_session(self, host: str | None = None) -> Client:
        client = APIClient(**({"HTTP_HOST": host} if host else {}))
        client.force_login(self.b.owner)
        session = client.session
        session[SESSION_TENANT_KEY] = self.b.tenant.pk
        session.save()
        return client

    def a_state(self) -> dict:
        """What B must not change: A's objects as A lists them."""
        paths = ["/api/v1/api-keys", "/api/v1/members", "/api/v1/invitations",
                 "/api/v1/airtable/connections", "/api/v1/files", "/api/v1/chat/conversations",
                 "/api/v1/workflows", f"/api/v1/workflows/{self.objects['workflow_id']}",
                 f"/api/v1/airtable/bases/{self.objects['base_id']}/tables",
                 f"/api/v1/airtable/bases/{self.objects['base_id']}/tables/"
                 f"{self.objects['table']}/records"]
        state = {}
        for path in paths:
            answer = self.a_client.get(path)
            assert answer.status_code == 200, (path, answer.content[:300])
            state[path] = _stable(answer.json())
        return state


def _stable(body):
    """An answer without what changes by itself between two reads (timestamps, cursors)."""
    if isinstance(body, dict):
        return {k: _stable(v) for k, v in body.items()
                if k not in {"last_used_at", "next", "offset", "updated_at", "last_synced_at"}}
    if isinstance(body, list):
        return [_stable(v) for v in body]
    return body


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, platform_server_factory, tmp_path_factory):
    server = platform_server_factory(**UNLIMITED)
    with django_db_blocker.unblock():
        from django.conf import settings

        saved = settings.STORAGES
        settings.STORAGES = {**saved, "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path_factory.mktemp("matrix-media"))}}}
        try:
            yield World(server)
        finally:
            settings.STORAGES = saved


def _send(client, method: str, path: str, body: dict, *, is_api: bool):
    """The request as its client sends it: a body that passes every serializer, so the
    answer is about the object and not the input."""
    if method == "get":
        return client.get(path)
    if method == "delete":
        return client.delete(f"{path}?records[]={body['records'][0]['id']}")
    if is_api:
        return getattr(client, method)(path, body, format="json")
    return client.generic(method.upper(), path, json.dumps(body),
                          content_type="application/json")


def _body(answer) -> str:
    raw = b"".join(answer.streaming_content) if answer.streaming else answer.content
    return raw.decode(errors="replace")


def _leaks(text: str, markers) -> list[str]:
    return [marker for marker in markers if marker.lower() in text.lower()]


def test_every_tenant_route_refuses_the_other_tenant(world):
    a_state = world.a_state()
    clients = world.b_api_clients()
    a_session = Client()
    a_session.force_login(world.a.owner)
    session = a_session.session
    session[SESSION_TENANT_KEY] = world.a.tenant.pk
    session.save()
    failures, uncovered, accepted_params = [], [], {}
    walked = 0
    for route, pattern in tenant_routes():
        params = _params(route)
        missing = [p for p in params if world.value(pattern, p) is None]
        if missing:
            uncovered.append(f"/{route}: no object of tenant A for {missing}")
            continue
        path = "/" + route
        for param in params:
            path = path.replace(f"<{param}>", str(world.value(pattern, param)))
            for converter in ("int", "str", "uuid", "slug", "path"):
                path = path.replace(f"<{converter}:{param}>", str(world.value(pattern, param)))
        is_api = route.startswith("api/")
        object_params = [p for p in params if p not in NON_OBJECT_PARAMS]
        methods = _methods(pattern) if object_params else ["get"]
        if "get" in _methods(pattern):
            control = (APIClient(HTTP_AUTHORIZATION=f"Bearer {world.a.jwt()}") if is_api
                       else a_session).get(path)
            for param in object_params if control.status_code != 405 else ():
                accepted_params.setdefault(param, set())
                if control.status_code < 400:
                    accepted_params[param].add(path)
        kinds = clients if is_api else {k: v for k, v in clients.items() if "session" in k}
        for kind, client in kinds.items():
            for method in methods:
                walked += 1
                for body in world.probe_bodies():
                    answer = _send(client, method, path, body, is_api=is_api)
                    if answer.status_code != 400:
                        break
                body = _body(answer)
                where = f"{method.upper()} {path} as B ({kind}): {answer.status_code}"
                leaked = _leaks(body, world.markers)
                if leaked:
                    failures.append(f"{where} shows A's {leaked}")
                if answer.status_code >= 500:
                    failures.append(f"{where} {body[:200]}")
                    continue
                if "on-a-host" in kind and pattern.name not in USER_ROUTES:
                    if answer.status_code not in (403, 404, 405) and not (
                            not is_api and answer.status_code == 302):
                        failures.append(f"{where}: B's credential on A's host must be refused")
                    continue
                if object_params:
                    refused = API_REFUSED if is_api else PAGE_REFUSED
                    if answer.status_code not in refused:
                        failures.append(f"{where}: expected {sorted(refused)} {body[:200]}")
                    elif is_api and answer["Content-Type"] != "application/problem+json":
                        failures.append(f"{where}: not problem+json")
    assert not uncovered, "tenant routes the matrix cannot fill:\n" + "\n".join(uncovered)
    assert not failures, f"{len(failures)} of {walked} requests:\n" + "\n".join(failures)
    # Ids only writes take (a key to revoke, a member to remove) come from A's own answers.
    never = sorted(p for p, paths in accepted_params.items() if not paths)
    assert not never, f"A's own GET never accepted these ids, so they prove nothing: {never}"
    assert world.a_state() == a_state, "B's requests changed A's data"


def tool_arguments(world, tool) -> dict:
    """Arguments for `tool` naming A's objects; fails for an argument it cannot fill."""
    schema = tool.input_schema
    objects = world.objects
    values = {
        "baseId": objects["base_id"], "table": objects["table"], "field": objects["field"],
        "recordId": objects["record_id"], "recordIds": [objects["record_id"]],
        "fileId": objects["file_id"], "workflowId": objects["workflow_id"],
        "runId": objects["run_id"], "query": SECRET, "name": "probe",
        "type": "singleLineText", "fieldsToMergeOn": [objects["primary"]],
        "fields": [{"name": "Probe", "type": "singleLineText"}],
        "trigger": {"type": "manual"}, "steps": [{"id": "me", "type": "whoami", "params": {}}],
    }
    arguments = {}
    for name in schema.get("required", []):
        if name == "records":
            item = schema["properties"]["records"]["items"]
            fields = {objects["primary"]: "probe"}
            arguments[name] = [{"id": objects["record_id"], "fields": fields}
                               if "id" in item.get("required", []) else {"fields": fields}]
            continue
        assert name in values, f"tool {tool.name}: no value of tenant A for {name!r}"
        arguments[name] = values[name]
    for name in ("baseId", "fileId", "workflowId", "runId"):
        if name in schema.get("properties", {}) and name not in arguments:
            arguments[name] = values[name]
    tool_registry.validate(tool.name, arguments)
    return arguments


OBJECT_ARGUMENTS = ("baseId", "fileId", "workflowId", "runId", "recordId")


def _tool_verdict(world, tool, arguments, result: dict, channel: str) -> list[str]:
    text = json.dumps(result)
    where = f"{tool.name} as B over {channel}"
    problems = [f"{where} shows A's {leaked}" for leaked in _leaks(text, world.markers)]
    if any(name in arguments for name in OBJECT_ARGUMENTS):
        if not result.get("isError"):
            problems.append(f"{where} succeeded on A's objects: {text[:300]}")
        else:
            payload = json.loads(result["content"][0]["text"])
            code = payload.get("error", {}).get("code")
            if not (code or "").endswith("_NOT_FOUND") and code != "ERROR_PERMISSION_DENIED":
                problems.append(f"{where}: refused with {code}, not as unknown")
    return problems


def test_every_tool_refuses_the_other_tenant(world):
    a_state = world.a_state()
    b_clients = {k: v for k, v in world.b_api_clients().items() if "host" not in k}
    a_caller = caller_for_member(tenant=world.a.tenant, user_id=world.a.owner.pk,
                                 channel="rest")
    failures = []
    tools = tool_registry.all()
    assert len(tools) >= 20
    for tool in tools:
        arguments = tool_arguments(world, tool)
        if tool.scope == "read" and any(name in arguments for name in OBJECT_ARGUMENTS):
            control = tool_registry.call(tool.name, arguments, a_caller)
            assert not control.is_error, (tool.name, control.structured)
        for kind, client in b_clients.items():
            answer = client.post("/api/v1/mcp/tools/call",
                                 {"name": tool.name, "arguments": arguments}, format="json")
            assert answer.status_code == 200, (tool.name, kind, answer.content[:300])
            failures += _tool_verdict(world, tool, arguments, answer.json(), f"REST ({kind})")
    assert not failures, "\n".join(failures)
    assert world.a_state() == a_state, "B's tool calls changed A's data"


def test_every_tool_refuses_the_other_tenant_over_mcp(world):
    headers = {"Accept": "application/json, text/event-stream",
               "Authorization": f"Bearer {world.b_mcp_key}", "MCP-Protocol-Version": "2025-11-25"}
    failures = []
    with httpx.Client(base_url=world.server.url, headers=headers, timeout=30) as http:
        listed = http.post("/mcp", json={"jsonrpc": "2.0", "id": 0, "method": "tools/list"})
        assert listed.status_code == 200, listed.text[:500]
        assert {t["name"] for t in listed.json()["result"]["tools"]} == \
            {tool.name for tool in tool_registry.all()}
        for number, tool in enumerate(tool_registry.all(), start=1):
            arguments = tool_arguments(world, tool)
            answer = http.post("/mcp", json={
                "jsonrpc": "2.0", "id": number, "method": "tools/call",
                "params": {"name": tool.name, "arguments": arguments}})
            assert answer.status_code == 200, (tool.name, answer.text[:300])
            assert "result" in answer.json(), (tool.name, answer.text[:500])
            failures += _tool_verdict(world, tool, arguments, answer.json()["result"], "MCP")
    assert not failures, "\n".join(failures)
