from prometheus_client import Counter, Histogram

# Labels stay bounded: providers and outcomes, not tenants' free-text model names.
CHAT_TURNS = Counter("platform_chat_turns_total", "Chat turns by provider and outcome",
                     ["provider", "outcome"])
CHAT_TOKENS = Counter("platform_chat_tokens_total", "LLM tokens used by the chat",
                      ["provider", "kind"])
CHAT_TURN_SECONDS = Histogram("platform_chat_turn_seconds", "Duration of a chat turn",
                              ["provider"], buckets=(0.5, 1, 2, 5, 10, 20, 40, 80, 160))
