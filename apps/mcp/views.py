"""Pages: connect an AI client; recent tool calls; the OAuth consent; signing a
client out."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from oauth2_provider.views import AuthorizationView
from oauth2_provider.views.metadata import OAuthProtectedResourceMetadataView

from apps.accounts.decorators import tenant_page
from apps.core.exceptions import ApplicationError

from .forms import ClientKeyForm, ConsentForm
from .oauth import CONSENT_MARK, oauth_connection_revoke
from .selectors import consent_teams, tenant_base_choices, tool_call_list
from .services import mcp_api_key_create

NEW_CLIENT_KEY = "new_mcp_key"
PLACEHOLDER_KEY = "<your API key>"


def client_configs(mcp_url: str, key: str) -> dict[str, str]:
    """Copy-paste configuration for the common MCP clients. Clients that sign in with OAuth
    need only the URL; the others send a key."""
    configs = {
        "claude": {"mcpServers": {"pyairtable": {
            "command": "npx", "args": ["-y", "mcp-remote", mcp_url]}}},
        "claude_key": {"mcpServers": {"pyairtable": {
            "command": "npx",
            "args": ["-y", "mcp-remote", mcp_url, "--header", "Authorization:${AUTH_HEADER}"],
            "env": {"AUTH_HEADER": f"Bearer {key}"}}}},
        "cursor": {"mcpServers": {"pyairtable": {
            "url": mcp_url, "headers": {"Authorization": f"Bearer {key}"}}}},
        "vscode": {"servers": {"pyairtable": {
            "type": "http", "url": mcp_url, "headers": {"Authorization": f"Bearer {key}"}}}},
    }
    rendered = {name: json.dumps(config, indent=2) for name, config in configs.items()}
    rendered["inspector"] = (
        f"npx @modelcontextprotocol/inspector --cli {mcp_url} --transport http "
        f"--header \"Authorization: Bearer {key}\" --method tools/list")
    return rendered


@tenant_page
def connect(request):
    form = ClientKeyForm(request.POST or None, bases=tenant_base_choices(tenant=request.tenant))
    if request.method == "POST" and form.is_valid():
        try:
            _key, raw = mcp_api_key_create(
                tenant=request.tenant, user=request.user, name=form.cleaned_data["name"],
                write=form.cleaned_data["write"], bases=form.chosen_bases(),
                tools=form.cleaned_data["tools"])
        except ApplicationError as error:
            form.add_error(None, error.detail)
        else:
            request.session[NEW_CLIENT_KEY] = raw
            return redirect("web-mcp-connect")
    new_key = request.session.pop(NEW_CLIENT_KEY, None)
    mcp_url = request.build_absolute_uri("/mcp")
    return render(request, "mcp/connect.html", {
        "form": form, "mcp_url": mcp_url, "new_key": new_key,
        "configs": client_configs(mcp_url, new_key or PLACEHOLDER_KEY),
    })


@tenant_page
def calls(request):
    tool = request.GET.get("tool", "").strip()
    outcome = request.GET.get("outcome", "").strip()
    rows = tool_call_list(tool=tool or None, outcome=outcome or None)
    order = request.GET.get("sort", "-created_at")
    if order.lstrip("-") in ("created_at", "tool", "duration_ms"):
        rows = rows.order_by(order)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "mcp/calls.html",
                  {"page": page, "tool": tool, "outcome": outcome, "sort": order})


@tenant_page
@require_POST
def oauth_revoke(request, token_id: int):
    try:
        oauth_connection_revoke(tenant=request.tenant, actor=request.user,
                                membership=request.membership, token_id=token_id)
        messages.success(request, "The client was signed out.")
    except ApplicationError as error:
        messages.error(request, error.detail)
    return redirect("web-api-keys")


class ConsentView(AuthorizationView):
    """The toolkit's authorization endpoint with the platform's consent: the user picks the
    team, read-only or read-write, the bases and the tools the client gets."""

    template_name = "mcp/authorize.html"
    form_class = ConsentForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "teams": consent_teams(user=self.request.user)}

    def form_valid(self, form):
        if form.cleaned_data.get("allow"):
            form.cleaned_data["scope"] = " ".join(form.grant().to_scopes())
        return super().form_valid(form)

    def create_authorization_response(self, request, scopes, credentials, allow):
        return super().create_authorization_response(
            request=request, scopes=scopes, credentials={**credentials, CONSENT_MARK: True},
            allow=allow)


class ResourceMetadataView(OAuthProtectedResourceMetadataView):
    """RFC 9728 for the one protected resource, /mcp, at both well-known addresses."""

    def get_resource(self, request):
        return request.build_absolute_uri("/mcp")
