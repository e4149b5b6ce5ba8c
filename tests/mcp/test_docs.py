from django.core.management import call_command


def test_tool_reference_in_docs_is_current():
    """docs/mcp.md lists every tool with its schemas, exactly as registered."""
    call_command("mcp_tools_doc", check=True)
