"""Limits and guards against abuse (docs/security.md). Imported by base.py."""

from __future__ import annotations

from config import env as cfg

env = cfg.env

try:
    # Sync jobs a dead worker left are found by a reaper this often and queued again, up
    # to this many attempts in all, then failed.
    AIRTABLE_SYNC_REAP_SECONDS = cfg.positive_int("AIRTABLE_SYNC_REAP_SECONDS", 60)
    AIRTABLE_SYNC_MAX_ATTEMPTS = cfg.positive_int("AIRTABLE_SYNC_MAX_ATTEMPTS", 3)
    # PostgreSQL cancels a mirror query (a compiled filterByFormula or sort) after this
    # long, and a filter evaluated in Python stops at the same deadline.
    # Extractions and imports a dead worker left are found by a reaper this often and queued
    # again, up to this many attempts in all, then failed. An import's lease is renewed with
    # every batch and lasts FILES_IMPORT_LEASE_SECONDS; an extraction's lasts its time limit
    # plus a margin (apps.files.services.extraction.extraction_lease).
    FILES_JOB_REAP_SECONDS = cfg.positive_int("FILES_JOB_REAP_SECONDS", 30)
    FILES_JOB_MAX_ATTEMPTS = cfg.positive_int("FILES_JOB_MAX_ATTEMPTS", 3)
    FILES_IMPORT_LEASE_SECONDS = cfg.positive_int("FILES_IMPORT_LEASE_SECONDS", 120)
    FILES_EXTRACT_LEASE_MARGIN_SECONDS = cfg.positive_int("FILES_EXTRACT_LEASE_MARGIN_SECONDS",
                                                          30)
    MIRROR_QUERY_TIMEOUT_MS = cfg.positive_int("MIRROR_QUERY_TIMEOUT_MS", 10_000)
except cfg.SettingError as error:
    cfg.fail(error)

JOBS_BEAT_SCHEDULE = {
    "airtable-sync-jobs-reap": {"task": "airtable.sync_jobs_reap",
                                "schedule": AIRTABLE_SYNC_REAP_SECONDS},
    "files-jobs-reap": {"task": "files.jobs_reap", "schedule": FILES_JOB_REAP_SECONDS},
}

# Networks (CIDR) that tenant-chosen outbound URLs may reach although they are not public
# (apps.core.urlguard): e.g. "10.0.0.0/8" for a model server on the private network.
URLGUARD_ALLOWED_NETWORKS = env.list("URLGUARD_ALLOWED_NETWORKS", default=[])

# Proxies in front of the platform that append the client to X-Forwarded-For (the nginx of
# docker/ sets the header itself: 1). 0: the header is ignored and REMOTE_ADDR is the client.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# Every password check (API, /login, /admin/login/) is counted per client address and per
# account; past either rate, logins are refused until the window ends (apps.accounts.backends).
AUTHENTICATION_BACKENDS = [
    "apps.accounts.backends.LoginLimitBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_RATE_PER_ADDRESS = env.str("LOGIN_RATE_PER_ADDRESS", default="30/15m")
LOGIN_RATE_PER_ACCOUNT = env.str("LOGIN_RATE_PER_ACCOUNT", default="10/15m")

# Sign-up answers the same whether or not an address has an account: the account and its
# team are created from a link e-mailed to the address, which works this many days.
SIGNUP_MAX_AGE_DAYS = env.int("SIGNUP_MAX_AGE_DAYS", default=3)

# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` when set (set it in production).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
