"""Teams with a synced sandbox base, committed so a live server process sees them."""

from tests.conftest import committed_team, demo_base_connected

UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}
FAST_CLIENT = {"AIRTABLE_RATE_LIMIT_PER_BASE": 1000.0, "AIRTABLE_RATE_LIMIT_PER_TOKEN": 5000.0,
               "AIRTABLE_RATE_LIMIT_WAIT_SECONDS": 0.2, "AIRTABLE_RETRY_BACKOFF_SECONDS": 0.01}


def synced_team(server, slug: str, records: int = 30):
    """A committed team whose demo base (in the server's sandbox) is synced; run it
    under override_settings(**FAST_CLIENT)."""
    team = committed_team(slug)
    base_id, _ = demo_base_connected(team, server.url, records=records, name="Demo CRM")
    return team, base_id
