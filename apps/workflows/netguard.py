"""Where http_request may connect: public addresses only, unless the operator allows
private ones (WORKFLOWS_HTTP_ALLOW_PRIVATE). Every address the name resolves to is checked,
and the connection goes to the checked address, so a DNS answer that changes between the
check and the request (rebinding) cannot reach an internal service."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from .exceptions import StepFailed


def public_address(url: str, *, allow_private: bool) -> tuple[str, int, str]:
    """(ip, port, host) to connect to for `url`; StepFailed when the target is refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StepFailed("ERROR_HTTP_URL", "An http:// or https:// URL with a host.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise StepFailed("ERROR_HTTP_UNREACHABLE", f"{parts.hostname} does not resolve.",
                         retryable=True) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not allow_private:
        for address in addresses:
            if (address.is_private or address.is_loopback or address.is_link_local
                    or address.is_multicast or address.is_reserved or address.is_unspecified
                    or getattr(address, "ipv4_mapped", None) is not None):
                raise StepFailed(
                    "ERROR_HTTP_TARGET_REFUSED",
                    f"{parts.hostname} resolves to {address}, a private, loopback or "
                    "link-local address; http_request only calls public addresses.")
    return str(addresses[0]), port, parts.hostname
