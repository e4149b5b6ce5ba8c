"""What a call costs: USD per million tokens by model, overridable with CHAT_PRICES."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings

logger = logging.getLogger(__name__)

# List prices (USD per 1M tokens) of common models; local models cost nothing here.
PRICES: dict[str, dict[str, str]] = {
    "gpt-4o": {"input": "2.50", "output": "10.00"},
    "gpt-4o-mini": {"input": "0.15", "output": "0.60"},
    "gpt-4.1": {"input": "2.00", "output": "8.00"},
    "gpt-4.1-mini": {"input": "0.40", "output": "1.60"},
    "gpt-4.1-nano": {"input": "0.10", "output": "0.40"},
    "o4-mini": {"input": "1.10", "output": "4.40"},
    "gemini-2.0-flash": {"input": "0.10", "output": "0.40"},
    "gemini-2.5-flash": {"input": "0.30", "output": "2.50"},
    "gemini-2.5-flash-lite": {"input": "0.10", "output": "0.40"},
    "gemini-2.5-pro": {"input": "1.25", "output": "10.00"},
}
MILLION = Decimal(1_000_000)


def price_table() -> dict[str, dict[str, Decimal]]:
    table = {**PRICES, **(settings.CHAT_PRICES or {})}
    prices = {}
    for model, price in table.items():
        try:
            prices[model] = {side: Decimal(str(price.get(side, 0) or 0))
                             for side in ("input", "output")}
        except (AttributeError, InvalidOperation):
            logger.warning("CHAT_PRICES: the price of %r is not a number; it is ignored", model)
    return prices


def cost_of(model: str, prompt_tokens: int, completion_tokens: int) -> Decimal:
    """The cost of one call in USD; 0 for a model without a known price."""
    table = price_table()
    price = table.get(model)
    if price is None:
        # Dated snapshots ("gpt-4o-mini-2024-07-18") cost what their family costs.
        family = max((name for name in table if model.startswith(f"{name}-")), key=len,
                     default=None)
        price = table.get(family) if family else None
    if price is None:
        return Decimal(0)
    cost = (price["input"] * prompt_tokens + price["output"] * completion_tokens) / MILLION
    return cost.quantize(Decimal("0.000001"))
