"""Platform tools: who the caller is, for which tenant, with which rights."""

from apps.core.tools import READ, Tool, tool_registry


@tool_registry.register
class WhoAmI(Tool):
    name = "whoami"
    title = "Who am I"
    description = ("The tenant (team), user and rights this connection acts with. Call it first "
                   "to know whether write tools are available.")
    scope = READ
    input_schema = {"type": "object", "properties": {}, "additionalProperties": False}
    output_schema = {
        "type": "object",
        "required": ["tenant", "user", "scopes"],
        "properties": {
            "tenant": {"type": "object", "required": ["slug", "name"],
                       "properties": {"slug": {"type": "string"}, "name": {"type": "string"}}},
            "user": {"type": "object", "required": ["email"],
                     "properties": {"email": {"type": "string"}}},
            "scopes": {"type": "array", "items": {"enum": ["read", "write"]}},
        },
    }

    def run(self, context, arguments):
        return {"tenant": {"slug": context.tenant.slug, "name": context.tenant.name},
                "user": {"email": context.user.email},
                "scopes": sorted(context.scopes)}
