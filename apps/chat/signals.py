from django.dispatch import Signal

# Sent after every chat turn, whatever its outcome, with: tenant, conversation_id, turn_id,
# user_id, provider, model, prompt_tokens, completion_tokens, cost (Decimal, USD), rounds,
# tool_calls, status ("ok", "error" or "cancelled"), error_code, latency_ms.
chat_turn_completed = Signal()
