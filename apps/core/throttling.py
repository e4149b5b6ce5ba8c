"""Rate limits kept in Redis (the cache), shared by every process."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle


class TenantRateThrottle(SimpleRateThrottle):
    """All requests of one tenant together."""

    scope = "tenant"

    def get_cache_key(self, request, view):
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            return None
        return self.cache_format % {"scope": self.scope, "ident": tenant.schema_name}


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Each API key on its own, so one noisy integration can't starve the rest."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        api_key = getattr(request, "api_key", None)
        if api_key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": api_key.pk}


class LoginRateThrottle(SimpleRateThrottle):
    """Login attempts per client address and per e-mail address."""

    scope = "login"

    def get_cache_key(self, request, view):
        email = str(request.data.get("email", "")).strip().lower()[:254] if hasattr(
            request, "data") and isinstance(request.data, dict) else ""
        ident = f"{self.get_ident(request)}:{email}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class RegisterRateThrottle(SimpleRateThrottle):
    scope = "register"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
