"""What a connection's grant spells, and the schemas every client can read."""

import json

from jsonschema import Draft202012Validator

from apps.core.tools import portable_schema, tool_registry
from apps.mcp.grants import Grant

BASE = "appABCDEFGHIJKLMN"


def test_a_grant_survives_its_scope_string():
    grant = Grant(tenant_slug="acme", can_write=True, bases=frozenset({BASE}),
                  tools=frozenset({"list_records", "whoami"}))
    scopes = grant.to_scopes()
    assert scopes == ["mcp", "tenant:acme", "access:write", f"base:{BASE}",
                      "tool:list_records", "tool:whoami"]
    assert Grant.from_scopes(scopes) == grant
    every_base = Grant(tenant_slug="acme", can_write=False, tools=frozenset({"whoami"}))
    assert Grant.from_scopes(every_base.to_scopes()).bases is None


def test_scopes_that_are_not_a_grant_are_refused():
    assert Grant.from_scopes(["mcp"]) is None
    assert Grant.from_scopes(["mcp", "tenant:acme"]) is None
    assert Grant.from_scopes(["mcp", "tenant:acme", "access:read", "admin"]) is None
    assert Grant.from_scopes(["mcp", "tenant:acme", "access:read", "base:nope"]) is None
    assert Grant.from_scopes(["tenant:a", "tenant:b", "access:read"]) is None


def test_nullable_types_are_written_as_any_of():
    schema = {"type": "object", "properties": {
        "note": {"type": ["string", "null"], "description": "d", "maxLength": 5},
        "required": {"type": ["object", "null"], "properties": {"x": {"type": "integer"}}}},
        "required": ["note"]}
    portable = portable_schema(schema)
    assert portable["properties"]["note"] == {
        "description": "d", "anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]}
    assert portable["properties"]["required"]["anyOf"][0]["properties"] == {
        "x": {"type": "integer"}}
    assert portable["required"] == ["note"]
    validator = Draft202012Validator(portable)
    assert validator.is_valid({"note": None}) and validator.is_valid({"note": "abc"})
    assert not validator.is_valid({"note": "toolong"}) and not validator.is_valid({"note": 1})


def test_every_described_tool_is_portable_and_means_the_same():
    for tool in tool_registry.all():
        described = tool.describe()
        assert '"type": [' not in json.dumps(described), tool.name
        Draft202012Validator.check_schema(described["outputSchema"])
