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
