"""The gate in front of every password check: attempts per client address and per account.

Listed first in AUTHENTICATION_BACKENDS, so the API login, the /login page, /admin/login/
and anything else calling django.contrib.auth.authenticate() pass through it. It checks no
password itself: it counts the attempt (atomically, in Redis) and raises RateLimited once
either the address or the account is over its rate, before the real backend runs, so the
right password is refused as well while the limit lasts.
"""

from __future__ import annotations

import hashlib

from django.conf import settings

from apps.core.throttling import RateLimited, rate_hit
from apps.core.throttling import client_ip as request_client_ip

LOCKED = "Too many login attempts; try again in {wait} s."


def login_attempt_check(*, email: str, client_ip: str | None) -> None:
    """Count one login attempt; RateLimited when its address or its account is over."""
    waits = []
    if client_ip:
        waits.append(rate_hit("login_address", client_ip, settings.LOGIN_RATE_PER_ADDRESS))
    account = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    waits.append(rate_hit("login_account", account, settings.LOGIN_RATE_PER_ACCOUNT))
    wait = max((item for item in waits if item is not None), default=None)
    if wait is not None:
        raise RateLimited(LOCKED.format(wait=wait), retry_after=wait)


class LoginLimitBackend:
    """Never authenticates anyone: counts the attempt, refuses when over the limits. No
    get_user(), so sessions and force_login() name the real backend."""

    def authenticate(self, request, username=None, password=None, client_ip=None, **kwargs):
        if client_ip is None and request is not None:
            client_ip = request_client_ip(request)
        login_attempt_check(email=username or "", client_ip=client_ip)
        return None
