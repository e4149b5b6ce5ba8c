"""OAuth sign-in of an MCP client end to end against a live server, the way
claude.ai or ChatGPT do it: discovery from the 401, dynamic client
registration, the consent page posted as a browser would, the code exchanged
with PKCE, tools called with the token, a refresh, a sign-out from the API
keys page and the 401 after it. The grant limits the tools and bases."""

import asyncio
import base64
import hashlib
import json
import re
import secrets
import ssl
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import trustme
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.airtable import services as airtable
from apps.sandbox.services import sandbox_seed_demo
from tests.conftest import PASSWORD, committed_team

pytestmark = pytest.mark.django_db

UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}
FAST_CLIENT = {"AIRTABLE_RATE_LIMIT_PER_BASE": 1000.0, "AIRTABLE_RATE_LIMIT_PER_TOKEN": 5000.0,
               "AIRTABLE_RATE_LIMIT_WAIT_SECONDS": 0.2, "AIRTABLE_RETRY_BACKOFF_SECONDS": 0.01}
REDIRECT_URI = "http://127.0.0.1:33418/callback"
GRANTED_TOOLS = ["whoami", "list_bases", "list_records", "create_records"]


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """A certificate authority the server process trusts (SSL_CERT_FILE), so an MCP
    client's metadata document can be served over real HTTPS on 127.0.0.1."""
    ca = trustme.CA()
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return ca, bundle


@pytest.fixture(scope="module")
def server(platform_server_factory, authority):
    return platform_server_factory(SSL_CERT_FILE=str(authority[1]), **UNLIMITED)


@pytest.fixture(scope="module")
def client_document(authority):
    """An MCP client that names itself by the URL of its Client ID Metadata Document,
    served over HTTPS; the URL is its client_id."""
    ca, _bundle = authority
    served = []

    class Document(BaseHTTPRequestHandler):
        def do_GET(self):
            served.append(self.path)
            body = json.dumps({
                "client_id": url, "client_name": "Metadata-document client",
                "redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code"],
                "response_types": ["code"], "token_endpoint_auth_method": "none"}).encode()
            self.send_response(200 if self.path == "/oauth/client.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    https = ThreadingHTTPServer(("127.0.0.1", 0), Document)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    https.socket = context.wrap_socket(https.socket, server_side=True)
    url = f"https://127.0.0.1:{https.server_port}/oauth/client.json"
    threading.Thread(target=https.serve_forever, daemon=True).start()
    yield {"client_id": url, "served": served}
    https.shutdown()


@pytest.fixture(scope="module")
def team(server, django_db_blocker):
    """A team with two synced bases; a second team the grant must never reach."""
    with django_db_blocker.unblock(), override_settings(**FAST_CLIENT):
        team = committed_team("mcp-oauth")
        bases = []
        for _ in range(2):
            base_id, token = sandbox_seed_demo(records=10)
            with tenant_context(team.tenant):
                airtable.connection_create(name=f"CRM {base_id}", token=token,
                                           endpoint_url=f"{server.url}/sandbox/airtable")
                airtable.base_sync(base_id=base_id, full=True)
            bases.append(base_id)
        other = committed_team("mcp-oauth-other")
        return {"team": team, "bases": bases, "other": other}


class _Forms(HTMLParser):
    """The inputs of a page's forms, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.forms, self._form = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "fields": []}
            self.forms.append(self._form)
        elif tag in ("input", "select") and self._form is not None:
            self._form["fields"].append(attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _forms(html):
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def _login(browser, email):
    page = browser.get("/login")
    csrf = browser.cookies["csrftoken"]
    answer = browser.post("/login", data={"username": email, "password": PASSWORD,
                                          "csrfmiddlewaretoken": csrf})
    assert answer.status_code == 302, answer.text[:500]
    assert page.status_code == 200


async def _mcp(url, token, calls):
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"},
                                  timeout=60) as http, \
            streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, *_), \
            ClientSession(read, write) as session:
        await session.initialize()
        listed = await session.list_tools()
        results = []
        for name, arguments in calls:
            result = await session.call_tool(name, arguments)
            results.append({"isError": result.is_error, "structured": result.structured_content,
                            "text": result.content[0].text})
        return sorted(tool.name for tool in listed.tools), results


def _code(result):
    return json.loads(result["text"])["error"]["code"] if result["isError"] else "ok"


def test_oauth_sign_in_end_to_end(server, team):
    url = server.url
    probe = httpx.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                       headers={"Accept": "application/json, text/event-stream"})
    assert probe.status_code == 401
    metadata_url = re.search(r'resource_metadata="([^"]+)"',
                             probe.headers["www-authenticate"]).group(1)
    assert metadata_url == f"{url}/.well-known/oauth-protected-resource/mcp"

    resource = httpx.get(metadata_url).json()
    assert resource["resource"] == f"{url}/mcp"
    (issuer,) = resource["authorization_servers"]
    server_meta = httpx.get(f"{issuer}/.well-known/oauth-authorization-server").json()
    assert server_meta["code_challenge_methods_supported"] == ["S256"]
    assert "authorization_code" in server_meta["grant_types_supported"]
    assert server_meta["scopes_supported"] == ["mcp"]

    registered = httpx.post(server_meta["registration_endpoint"], json={
        "client_name": "Claude-style connector", "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "token_endpoint_auth_method": "none"})
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]

    verifier, challenge = _pkce()
    query = urlencode({"response_type": "code", "client_id": client_id,
                       "redirect_uri": REDIRECT_URI, "scope": "mcp", "state": "s-42",
                       "code_challenge": challenge, "code_challenge_method": "S256",
                       "resource": f"{url}/mcp"})
    authorize_url = f"{server_meta['authorization_endpoint']}?{query}"
    with httpx.Client(base_url=url, timeout=30) as browser:
        first = browser.get(authorize_url)
        assert first.status_code == 302 and "/login" in first.headers["location"]
        _login(browser, team["team"].owner.email)
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text[:1000]
        assert "Claude-style connector" in page.text
        (form,) = [f for f in _forms(page.text) if any(
            field.get("name") == "client_id" for field in f["fields"])]
        data = {field["name"]: field.get("value", "") for field in form["fields"]
                if field.get("type") == "hidden"}
        data.update(tenant="mcp-oauth", access="read", allow="on",
                    bases=f"mcp-oauth/{team['bases'][0]}", tools=GRANTED_TOOLS)
        consented = browser.post(authorize_url, data=data)
        assert consented.status_code == 302, consented.text[:2000]
        callback = urlsplit(consented.headers["location"])
        assert f"{callback.scheme}://{callback.netloc}{callback.path}" == REDIRECT_URI
        params = parse_qs(callback.query)
        assert params["state"] == ["s-42"]

        tokens = httpx.post(server_meta["token_endpoint"], data={
            "grant_type": "authorization_code", "code": params["code"][0],
            "redirect_uri": REDIRECT_URI, "client_id": client_id, "code_verifier": verifier,
            "resource": f"{url}/mcp"})
        assert tokens.status_code == 200, tokens.text
        access = tokens.json()["access_token"]

        names, (me, bases, outside, not_granted, writing) = asyncio.run(_mcp(url, access, [
            ["whoami", {}],
            ["list_bases", {}],
            ["list_records", {"baseId": team["bases"][1], "table": "Deals"}],
            ["describe_table", {"baseId": team["bases"][0], "table": "Deals"}],
            ["create_records", {"baseId": team["bases"][0], "table": "Deals",
                                "records": [{"fields": {"Deal": "x"}}]}],
        ]))
        assert names == ["list_bases", "list_records", "whoami"]
        assert me["structured"]["tenant"]["slug"] == "mcp-oauth"
        assert me["structured"]["scopes"] == ["read"]
        assert [base["id"] for base in bases["structured"]["bases"]] == [team["bases"][0]]
        assert _code(outside) == "ERROR_BASE_NOT_GRANTED"
        assert _code(not_granted) == "ERROR_TOOL_NOT_GRANTED"
        assert _code(writing) == "ERROR_READ_ONLY"

        refreshed = httpx.post(server_meta["token_endpoint"], data={
            "grant_type": "refresh_token", "refresh_token": tokens.json()["refresh_token"],
            "client_id": client_id})
        assert refreshed.status_code == 200, refreshed.text
        access, refresh = refreshed.json()["access_token"], refreshed.json()["refresh_token"]
        _names, (records,) = asyncio.run(_mcp(url, access, [
            ["list_records", {"baseId": team["bases"][0], "table": "Deals", "pageSize": 2}]]))
        assert _code(records) == "ok" and len(records["structured"]["records"]) == 2

        keys_page = browser.get("/api-keys")
        assert "Claude-style connector" in keys_page.text
        (sign_out,) = [f for f in _forms(keys_page.text) if "/sign-ins/" in f["action"]]
        revoked = browser.post(sign_out["action"],
                               data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]})
        assert revoked.status_code == 302

    after = httpx.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                       headers={"Accept": "application/json, text/event-stream",
                                "Authorization": f"Bearer {access}",
                                "MCP-Protocol-Version": "2025-11-25"})
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["www-authenticate"]
    again = httpx.post(server_meta["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


@pytest.fixture(scope="module")
def limited_keys(team, django_db_blocker):
    from apps.accounts.services import api_key_create
    from apps.mcp.services import mcp_api_key_create

    with django_db_blocker.unblock():
        owner, tenant = team["team"].owner, team["team"].tenant
        limited = mcp_api_key_create(tenant=tenant, user=owner, name="limited", write=True,
                                     bases=[team["bases"][1]],
                                     tools=["list_bases", "list_records", "delete_records"])[1]
        other = team["other"]
        foreign = api_key_create(tenant=other.tenant, user=other.owner, name="foreign",
                                 scopes=["read", "write"])[1]
        return {"limited": limited, "foreign": foreign}


def test_a_limited_key_lists_and_calls_only_its_bases_and_tools(server, team, limited_keys):
    inside, outside = team["bases"][1], team["bases"][0]
    names, (bases, listed, other_base, other_tool) = asyncio.run(_mcp(
        server.url, limited_keys["limited"], [
            ["list_bases", {}],
            ["list_records", {"baseId": inside, "table": "Deals", "pageSize": 1}],
            ["list_records", {"baseId": outside, "table": "Deals"}],
            ["describe_table", {"baseId": inside, "table": "Deals"}],
        ]))
    assert names == ["delete_records", "list_bases", "list_records"]
    assert [base["id"] for base in bases["structured"]["bases"]] == [inside]
    assert _code(listed) == "ok"
    assert _code(other_base) == "ERROR_BASE_NOT_GRANTED"
    assert _code(other_tool) == "ERROR_TOOL_NOT_GRANTED"
    rest = httpx.post(f"{server.url}/api/v1/mcp/tools/list",
                      headers={"X-API-Key": limited_keys["limited"]}).json()
    assert sorted(tool["name"] for tool in rest["tools"]) == names


def test_another_tenants_key_sees_nothing_of_the_team(server, team, limited_keys):
    _names, (bases, records) = asyncio.run(_mcp(server.url, limited_keys["foreign"], [
        ["list_bases", {}],
        ["list_records", {"baseId": team["bases"][0], "table": "Deals"}],
    ]))
    assert bases["structured"] == {"bases": []}
    assert _code(records) == "ERROR_BASE_NOT_FOUND"
    assert "Deal" not in records["text"].split("ERROR")[0]


@pytest.fixture(scope="module")
def foreign_grant(team, django_db_blocker):
    """An access token whose grant names a team its user is not a member of."""
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, get_application_model

    from apps.mcp.grants import Grant

    with django_db_blocker.unblock():
        application = get_application_model().objects.create(
            name="Forged", client_type="public", authorization_grant_type="authorization-code",
            redirect_uris=REDIRECT_URI)
        raw = secrets.token_urlsafe(24)
        grant = Grant(tenant_slug=team["other"].tenant.slug, can_write=True,
                      tools=frozenset({"list_bases", "whoami"}))
        get_access_token_model().objects.create(
            user=team["team"].owner, application=application, token=raw,
            expires=timezone.now() + timedelta(hours=1), scope=" ".join(grant.to_scopes()))
        return raw


def test_a_grant_for_a_team_the_user_is_not_in_is_refused(server, foreign_grant):
    answer = httpx.post(f"{server.url}/mcp", json={"jsonrpc": "2.0", "id": 1,
                                                   "method": "tools/list"},
                        headers={"Accept": "application/json, text/event-stream",
                                 "Authorization": f"Bearer {foreign_grant}",
                                 "MCP-Protocol-Version": "2025-11-25"})
    assert answer.status_code == 403
    assert answer.json()["error"]["data"]["code"] == "ERROR_NOT_A_MEMBER"
    assert "tools" not in answer.text


def test_a_client_named_by_its_metadata_document_signs_in(server, team, client_document):
    """No registration: the client_id is an https URL the server fetches (Client ID
    Metadata Documents), and the consent page names the client as the document does."""
    url = server.url
    server_meta = httpx.get(f"{url}/.well-known/oauth-authorization-server").json()
    assert server_meta["client_id_metadata_document_supported"] is True
    client_id = client_document["client_id"]
    verifier, challenge = _pkce()
    query = urlencode({"response_type": "code", "client_id": client_id,
                       "redirect_uri": REDIRECT_URI, "scope": "mcp", "state": "s-7",
                       "code_challenge": challenge, "code_challenge_method": "S256",
                       "resource": f"{url}/mcp"})
    authorize_url = f"{server_meta['authorization_endpoint']}?{query}"
    with httpx.Client(base_url=url, timeout=30) as browser:
        _login(browser, team["team"].owner.email)
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text[:1000]
        assert "Metadata-document client" in page.text
        assert client_document["served"] == ["/oauth/client.json"]
        (form,) = [f for f in _forms(page.text) if any(
            field.get("name") == "client_id" for field in f["fields"])]
        data = {field["name"]: field.get("value", "") for field in form["fields"]
                if field.get("type") == "hidden"}
        data.update(tenant="mcp-oauth", access="read", allow="on",
                    bases=f"mcp-oauth/{team['bases'][0]}", tools=GRANTED_TOOLS)
        consented = browser.post(authorize_url, data=data)
        assert consented.status_code == 302, consented.text[:2000]
        code = parse_qs(urlsplit(consented.headers["location"]).query)["code"][0]
    tokens = httpx.post(server_meta["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "client_id": client_id, "code_verifier": verifier, "resource": f"{url}/mcp"})
    assert tokens.status_code == 200, tokens.text
    _names, (me,) = asyncio.run(_mcp(url, tokens.json()["access_token"], [["whoami", {}]]))
    assert me["structured"]["tenant"]["slug"] == "mcp-oauth"


def test_a_metadata_document_on_an_internal_address_is_refused(server, team):
    """Addresses outside the operator's allowed networks are never fetched: 10.0.0.1 is
    private and not allowed in the test settings."""
    query = urlencode({"response_type": "code", "client_id": "https://10.0.0.1/client.json",
                       "redirect_uri": REDIRECT_URI, "scope": "mcp", "state": "s-8",
                       "code_challenge": _pkce()[1], "code_challenge_method": "S256"})
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        _login(browser, team["team"].owner.email)
        page = browser.get(f"/oauth/authorize/?{query}")
    assert page.status_code in (400, 401, 403), page.status_code
    assert "Metadata-document client" not in page.text
