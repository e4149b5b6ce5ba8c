"""Where http_request may connect: the platform's outbound guard (apps.core.urlguard) decides
which addresses are allowed (public ones, plus URLGUARD_ALLOWED_NETWORKS). Every address the
name resolves to is checked, and the request goes to the checked address, so a DNS answer
that changes between the check and the request (rebinding) cannot reach an internal
service."""

from __future__ import annotations

import socket

from apps.core.urlguard import address_allowed, url_origin

from .exceptions import StepFailed


def public_address(url: str) -> tuple[str, int, str]:
    """(ip, port, host) to connect to for `url`; StepFailed when the target is refused."""
    origin = url_origin(url) if isinstance(url, str) else None
    if origin is None:
        raise StepFailed("ERROR_HTTP_URL", "An http:// or https:// URL with a host and no user "
                                           "name or password.")
    _, host, port = origin
    try:
        addresses = [info[4][0] for info in socket.getaddrinfo(host, port,
                                                                type=socket.SOCK_STREAM)]
    except (socket.gaierror, UnicodeError, OSError):
        raise StepFailed("ERROR_HTTP_UNREACHABLE", f"{host} does not resolve.",
                         retryable=True) from None
    refused = [address for address in addresses if not address_allowed(address)]
    if not addresses or refused:
        raise StepFailed("ERROR_HTTP_TARGET_REFUSED",
                         f"{host} resolves to {refused[0] if refused else 'nothing'}, a "
                         "private, loopback or link-local address; http_request only calls "
                         "public addresses.")
    return addresses[0].split("%", 1)[0], port, host
