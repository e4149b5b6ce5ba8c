"""Outbound URLs chosen by tenants: where the platform may send a request (SSRF guard).

Every URL a tenant gives the platform to call (an Airtable connection's endpoint, a chat
provider's base URL, a workflow's http_request) goes through :func:`url_check` before it
is stored and before it is called:

- only ``http`` and ``https``, a host, no user-info (``https://api.openai.com@evil.example``
  is refused, not read as api.openai.com), a valid port;
- with ``allowed_origins``, the URL's origin (scheme, host, port) must equal one of them
  exactly; an allowed origin is trusted as the operator wrote it;
- otherwise every address the host resolves to must be public: private, loopback,
  link-local (cloud metadata at 169.254.169.254), shared, multicast, reserved and
  unspecified addresses are refused unless they fall in ``URLGUARD_ALLOWED_NETWORKS``
  (the test settings allow 127.0.0.0/8 there).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings

from .exceptions import ValidationFailed

DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlNotAllowed(ValidationFailed):
    """A validation error of the field that holds the URL (code ERROR_VALIDATION)."""

    title = "URL not allowed"

    def __init__(self, detail: str, *, field: str):
        super().__init__(detail, errors={field: [detail]})


def url_origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, host lowercased and port made explicit;
    None for anything else (user-info included)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or DEFAULT_PORTS[scheme]


def _ip(address: str):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip


def address_in_allowed_networks(address: str) -> bool:
    """Whether the operator allowed this (otherwise internal) address:
    URLGUARD_ALLOWED_NETWORKS."""
    ip = _ip(address)
    return any(ip in ipaddress.ip_network(network, strict=False)
               for network in settings.URLGUARD_ALLOWED_NETWORKS)


def address_allowed(address: str) -> bool:
    """Whether the platform may connect to this IP address."""
    ip = _ip(address)
    return address_in_allowed_networks(address) or (ip.is_global and not ip.is_multicast)


def url_check(url: str, *, purpose: str, allowed_origins: Iterable[str] = (),
              field: str = "url") -> str:
    """The URL, stripped, if the platform may send requests there for `purpose`
    (a word for the error message: "the Airtable endpoint"); else UrlNotAllowed naming
    `field`. Resolves the host, so call it where a blocking DNS lookup is fine."""
    if not isinstance(url, str) or not url.strip():
        raise UrlNotAllowed(f"{purpose} needs a URL.", field=field)
    url = url.strip()
    origin = url_origin(url)
    if origin is None:
        raise UrlNotAllowed(f"{purpose} must be an http:// or https:// URL with a host and "
                            "no user name or password.", field=field)
    allowed = [item for item in (url_origin(entry) for entry in allowed_origins) if item]
    if allowed:
        if origin in allowed:
            return url
        listed = ", ".join(f"{scheme}://{host}:{port}" for scheme, host, port in allowed)
        raise UrlNotAllowed(f"{purpose} must be on one of: {listed}.", field=field)
    _, host, port = origin
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port,
                                                                type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError, OSError):
        raise UrlNotAllowed(f"{purpose}: the host {host} cannot be resolved.",
                            field=field) from None
    if not addresses or not all(address_allowed(address) for address in addresses):
        raise UrlNotAllowed(f"{purpose} must be a public address; {host} is not.", field=field)
    return url
