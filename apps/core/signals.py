from django.dispatch import Signal

# Sent after every tool call: name, arguments (secrets stripped), context, result.
tool_called = Signal()
