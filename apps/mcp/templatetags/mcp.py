"""{% oauth_sign_ins %}: the clients signed in with OAuth to the active team, with a sign-out
button each (on the API keys page)."""

from django import template

from ..oauth import oauth_connection_grant, oauth_connection_list

register = template.Library()


@register.inclusion_tag("mcp/oauth_sign_ins.html", takes_context=True)
def oauth_sign_ins(context):
    request = context["request"]
    membership = getattr(request, "membership", None)
    tokens = oauth_connection_list(
        tenant=request.tenant,
        user=None if membership is not None and membership.can_manage else request.user)
    return {"request": request, "csrf_token": context.get("csrf_token"),
            "sign_ins": [(token, oauth_connection_grant(token)) for token in tokens]}
