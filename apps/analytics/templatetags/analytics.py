"""{% analytics_key_numbers %}: the last 7 days in a few figures, for owners and admins."""

from __future__ import annotations

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("analytics/_key_numbers.html", takes_context=True)
def analytics_key_numbers(context, days: int = 7):
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if membership is None or not membership.can_manage:
        return {"numbers": None}
    return {"numbers": selectors.key_numbers(days=days)}


@register.filter
def share(value, whole) -> int:
    """value as a percentage of whole (0 when whole is 0), for bar widths."""
    try:
        return round(100 * float(value) / float(whole)) if float(whole) else 0
    except (TypeError, ValueError):
        return 0
