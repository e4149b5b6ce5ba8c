from .models import ToolCall


def tool_call_list(*, tool: str | None = None, outcome: str | None = None):
    calls = ToolCall.objects.all()
    if tool:
        calls = calls.filter(tool=tool)
    if outcome:
        calls = calls.filter(outcome=outcome)
    return calls.order_by("-created_at")
