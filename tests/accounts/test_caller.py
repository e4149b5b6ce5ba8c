"""One caller resolver for every entry point: HTTP, MCP, the chat's WebSocket and a
background job acting for a member (caller_for_member). A revoked key, a viewer
writing and another tenant's credential are refused the same way everywhere, and a
request with two credentials naming different callers is refused (RFC 6750)."""

import json
import uuid

import pytest
from django.test import Client
from django_tenants.utils import tenant_context
from starlette.datastructures import Headers

from apps.accounts import services as account_services
from apps.accounts.selectors import caller_for_member, caller_resolve
from apps.chat import services as chat_services
from apps.chat.consumers import CLOSE_FORBIDDEN, socket_caller
from apps.core.exceptions import ApplicationError
from apps.core.tools import tool_registry
from apps.mcp.services import mcp_caller
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRITE_TOOL = ("create_records", {"baseId": "app00000000000000", "table": "T",
                                 "records": [{"fields": {"Name": "x"}}]})


def _mcp(host: str | None = None, **headers: str) -> ApplicationError | object:
    raw = [(name.lower().replace("_", "-").encode(), value.encode())
           for name, value in headers.items()]
    if host:
        raw.append((b"host", host.encode()))
    try:
        return mcp_caller(Headers(raw=raw))
    except ApplicationError as error:
        return error


def _socket(*, token: str | None = None, host: str = "testserver", cookie: str | None = None):
    headers = [(b"host", host.encode())]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {"headers": headers,
             "query_string": f"token={token}".encode() if token else b""}
    return socket_caller(scope, str(uuid.uuid4()))


def _written(caller) -> str | None:
    """The error code of a write tool called as `caller` (None: it was allowed to try)."""
    result = tool_registry.call(WRITE_TOOL[0], WRITE_TOOL[1], caller)
    return result.error_code if result.error_code == "ERROR_READ_ONLY" else None


@pytest.fixture
def revoked(team_a):
    key, raw = account_services.api_key_create(tenant=team_a.tenant, user=team_a.owner,
                                               name="soon revoked", scopes=["read", "write"])
    account_services.api_key_revoke(tenant=team_a.tenant, actor=team_a.owner, key_id=key.pk)
    return key, raw


@pytest.fixture
def viewer(team_a):
    """A viewer and a JWT of theirs: what may write is their role, not the credential."""
    user = team_a.add_member("viewer@alpha.example.com", "viewer")
    return user, account_services.tokens_issue(user=user, tenant=team_a.tenant)["access"]


def test_a_revoked_key_is_refused_by_every_entry_point(team_a, client_for, revoked):
    key, raw = revoked
    http = client_for(key=raw).get("/api/v1/auth/me")
    assert (http.status_code, http.json()["code"]) == (401, "ERROR_AUTHENTICATION_FAILED")
    assert http["Content-Type"] == "application/problem+json"
    mcp = _mcp(authorization=f"Bearer {raw}")
    assert (mcp.status, mcp.code) == (401, "ERROR_AUTHENTICATION_FAILED")
    assert _socket(token=raw) == (None, CLOSE_FORBIDDEN)
    assert caller_for_member(tenant=team_a.tenant, user_id=team_a.owner.pk, channel="workflow",
                             api_key_id=key.pk) is None


def test_a_viewer_reads_but_cannot_write_through_any_entry_point(team_a, client_for, viewer):
    user, token = viewer
    http = client_for(jwt=token)
    assert http.get("/api/v1/api-keys").status_code == 200
    refused = http.post("/api/v1/airtable/connections", {"name": "x", "token": "pat" + "x" * 20},
                        format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "ERROR_READ_ONLY")
    tool = http.post("/api/v1/mcp/tools/call", {"name": WRITE_TOOL[0],
                                                "arguments": WRITE_TOOL[1]}, format="json")
    assert tool.json()["isError"] is True
    assert json.loads(tool.json()["content"][0]["text"])["error"]["code"] == "ERROR_READ_ONLY"

    mcp = _mcp(authorization=f"Bearer {token}")
    assert mcp.scopes == frozenset({"read"}) and _written(mcp) == "ERROR_READ_ONLY"

    with tenant_context(team_a.tenant):
        conversation = chat_services.conversation_create(user_id=user.pk)
    socket, code = socket_caller({"headers": [(b"host", b"testserver")],
                                  "query_string": f"token={token}".encode()},
                                 str(conversation.pk))
    assert code == 0 and socket.scopes == frozenset({"read"})
    assert _written(socket) == "ERROR_READ_ONLY"

    job = caller_for_member(tenant=team_a.tenant, user_id=user.pk, channel="workflow")
    assert job.scopes == frozenset({"read"}) and _written(job) == "ERROR_READ_ONLY"
    # The owner, through the same resolver, may write.
    owner = caller_for_member(tenant=team_a.tenant, user_id=team_a.owner.pk,
                              channel="workflow")
    assert owner.can_write and _written(owner) is None


def test_another_tenants_credential_is_refused_by_every_entry_point(team_a, team_b,
                                                                     client_for):
    bravo_key = team_b.api_key()
    http = client_for(key=bravo_key, host=team_a.host).get("/api/v1/api-keys")
    assert (http.status_code, http.json()["code"]) == (403, "ERROR_TENANT_MISMATCH")
    assert "owner@alpha" not in http.content.decode()
    mcp = _mcp(host=team_a.host, x_api_key=bravo_key)
    assert (mcp.status, mcp.code) == (403, "ERROR_TENANT_MISMATCH")
    assert _socket(token=bravo_key, host=team_a.host) == (None, CLOSE_FORBIDDEN)
    # A job queued for a member of bravo cannot act in alpha.
    assert caller_for_member(tenant=team_a.tenant, user_id=team_b.owner.pk,
                             channel="workflow") is None
    # The refusal is the resolver's own, whichever entry point asked.
    with pytest.raises(ApplicationError) as refused:
        caller_resolve(credential=None, channel="rest")
    assert refused.value.code == "ERROR_AUTHENTICATION_REQUIRED"


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_two_credentials_naming_different_callers_are_400(team_a, team_b, client_for, header):
    alpha_jwt, bravo_key = team_a.jwt(), team_b.api_key()
    client = client_for(jwt=alpha_jwt)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {alpha_jwt}", HTTP_X_API_KEY=bravo_key)
    if header == "x-api-key":  # two API keys: X-API-Key and a different Bearer key
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {team_a.api_key()}",
                           HTTP_X_API_KEY=bravo_key)
    answer = client.get("/api/v1/auth/me")
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "ERROR_MULTIPLE_CREDENTIALS"
    assert "bravo" not in answer.content.decode() and "alpha" not in answer.content.decode()
    mcp = _mcp(authorization=f"Bearer {alpha_jwt}", x_api_key=bravo_key)
    assert (mcp.status, mcp.code) == (400, "ERROR_MULTIPLE_CREDENTIALS")


def test_two_headers_of_the_same_caller_are_one_credential(team_a, client_for):
    key = team_a.api_key(scopes=("read",))
    client = client_for(jwt=team_a.jwt())
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {team_a.jwt()}", HTTP_X_API_KEY=key)
    answer = client.get("/api/v1/auth/me")
    assert answer.status_code == 200, answer.content
    # The key counts, and it only reads.
    assert client.post("/api/v1/airtable/connections", {"name": "x", "token": "p" * 20},
                       format="json").json()["code"] == "ERROR_READ_ONLY"


def test_the_page_decorator_resolves_the_same_caller(team_a, viewer):
    user, _token = viewer
    browser = Client()
    browser.post("/login", {"username": user.email, "password": PASSWORD})
    assert browser.get("/files/").status_code == 200
    assert browser.post(f"/files/{uuid.uuid4()}/delete").status_code == 403
    outsider = Client()
    assert outsider.get("/files/")["Location"].startswith("/login")
