"""Limits and guards against abuse (docs/security.md). Imported by base.py."""

from __future__ import annotations

from config import env as cfg

env = cfg.env

try:
    # PostgreSQL cancels a mirror query (a compiled filterByFormula or sort) after this
    # long, and a filter evaluated in Python stops at the same deadline.
    MIRROR_QUERY_TIMEOUT_MS = cfg.positive_int("MIRROR_QUERY_TIMEOUT_MS", 10_000)
except cfg.SettingError as error:
    cfg.fail(error)

# Networks (CIDR) that tenant-chosen outbound URLs may reach although they are not public
# (apps.core.urlguard): e.g. "10.0.0.0/8" for a model server on the private network.
URLGUARD_ALLOWED_NETWORKS = env.list("URLGUARD_ALLOWED_NETWORKS", default=[])
