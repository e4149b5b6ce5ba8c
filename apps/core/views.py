from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import health_report


@never_cache
def liveness(request):
    """Liveness: the process answers. No I/O."""
    return JsonResponse({"status": "ok"})


HEALTH = inline_serializer("Health", {
    "status": serializers.ChoiceField(choices=["healthy", "degraded"]),
    "checks": serializers.DictField(),
    "version": serializers.CharField(),
    "timestamp": serializers.DateTimeField(),
})


class ReadinessView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        tags=["health"],
        # 503 carries the same document, "degraded", while a dependency is down.
        responses={(status, "application/json"): HEALTH for status in (200, 503)},
    )
    def get(self, request):
        report = health_report()
        body = {
            "status": "healthy" if report["healthy"] else "degraded",
            "checks": report["checks"],
            "version": settings.VERSION,
            "timestamp": timezone.now().isoformat(),
        }
        response = Response(body, status=200 if report["healthy"] else 503)
        response["Cache-Control"] = "no-store"
        return response
