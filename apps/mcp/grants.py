"""What a connection may reach: a tenant, whether it writes, and (when it is
limited) which bases and tools.

An OAuth grant carries it in its scope string, so it travels with the token
through the authorization code, the token and every refresh:

    mcp tenant:acme access:write base:appXXXXXXXXXXXXXX tool:list_records …

No `base:` entry means every base of the tenant; an OAuth grant always names
its tools. An API key keeps its limits in the tenant's `ApiKeyGrant` row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MCP_SCOPE = "mcp"
_TENANT = re.compile(r"^tenant:([A-Za-z0-9_-]{1,40})$")
_BASE = re.compile(r"^base:(app[A-Za-z0-9]{14})$")
_TOOL = re.compile(r"^tool:([a-z][a-z0-9_]{0,99})$")
_ACCESS = {"access:read": False, "access:write": True}


@dataclass(frozen=True)
class Grant:
    tenant_slug: str
    can_write: bool
    bases: frozenset[str] | None = None
    tools: frozenset[str] | None = None

    def to_scopes(self) -> list[str]:
        scopes = [MCP_SCOPE, f"tenant:{self.tenant_slug}",
                  "access:write" if self.can_write else "access:read"]
        scopes += [f"base:{base}" for base in sorted(self.bases or ())]
        scopes += [f"tool:{tool}" for tool in sorted(self.tools or ())]
        return scopes

    @classmethod
    def from_scopes(cls, scopes) -> Grant | None:
        """The grant a scope list spells, or None when it is not one."""
        tenant, can_write, bases, tools = None, None, set(), set()
        for scope in scopes:
            if scope == MCP_SCOPE:
                continue
            if scope in _ACCESS and can_write is None:
                can_write = _ACCESS[scope]
            elif (match := _TENANT.match(scope)) and tenant is None:
                tenant = match.group(1)
            elif match := _BASE.match(scope):
                bases.add(match.group(1))
            elif match := _TOOL.match(scope):
                tools.add(match.group(1))
            else:
                return None
        if tenant is None or can_write is None:
            return None
        return cls(tenant_slug=tenant, can_write=can_write,
                   bases=frozenset(bases) or None, tools=frozenset(tools) or None)


def is_grant_scope(scope: str) -> bool:
    return bool(scope == MCP_SCOPE or scope in _ACCESS or _TENANT.match(scope)
                or _BASE.match(scope) or _TOOL.match(scope))
