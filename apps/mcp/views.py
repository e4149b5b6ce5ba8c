"""Pages: connect an AI client; recent tool calls."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from apps.accounts.decorators import tenant_page
from apps.accounts.services import api_key_create
from apps.core.exceptions import ApplicationError

from .forms import ClientKeyForm
from .selectors import tool_call_list

NEW_CLIENT_KEY = "new_mcp_key"
PLACEHOLDER_KEY = "<your API key>"


def client_configs(mcp_url: str, key: str) -> dict[str, str]:
    """Copy-paste configuration for the common MCP clients."""
    claude = {"mcpServers": {"pyairtable": {
        "command": "npx",
        "args": ["-y", "mcp-remote", mcp_url, "--header", "Authorization:${AUTH_HEADER}"],
        "env": {"AUTH_HEADER": f"Bearer {key}"}}}}
    cursor = {"mcpServers": {"pyairtable": {
        "url": mcp_url, "headers": {"Authorization": f"Bearer {key}"}}}}
    vscode = {"servers": {"pyairtable": {
        "type": "http", "url": mcp_url, "headers": {"Authorization": f"Bearer {key}"}}}}
    return {name: json.dumps(config, indent=2) for name, config in
            (("claude", claude), ("cursor", cursor), ("vscode", vscode))}


@tenant_page
def connect(request):
    form = ClientKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scopes = ["read", "write"] if form.cleaned_data["write"] else ["read"]
        try:
            _key, raw = api_key_create(tenant=request.tenant, user=request.user,
                                       name=form.cleaned_data["name"], scopes=scopes)
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
