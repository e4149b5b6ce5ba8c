from django.db import connection, transaction
from django.dispatch import receiver
from django_tenants.utils import tenant_context

from apps.core.signals import tool_called

from .models import ToolCall


@receiver(tool_called)
def record_tool_call(sender, name, arguments, context, result, **kwargs):
    with tenant_context(context.tenant):
        # A call made on its own commits its audit row without waiting for the disk
        # (synchronous_commit off for this one transaction): the row is written and
        # consistent, and only a crash of PostgreSQL itself in the next fraction of a
        # second could lose it. Inside a caller's transaction the row commits with it.
        on_its_own = not connection.in_atomic_block
        with transaction.atomic():
            if on_its_own:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            ToolCall.objects.create(
                tool=name[:100], channel=context.channel,
                user_id=getattr(context.user, "pk", None),
                user_email=getattr(context.user, "email", "") or "",
                api_key_id=context.api_key_id, grant=context.grant[:200],
                arguments=arguments if isinstance(arguments, dict) else {"value": arguments},
                outcome=ToolCall.Outcome.ERROR if result.is_error else ToolCall.Outcome.OK,
                error_code=result.error_code or "", duration_ms=round(result.duration_ms, 3),
            )

