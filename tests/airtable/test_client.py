"""apps.airtable.clients against the sandbox in a real server: errors, retries,
rate limits and timeouts as Airtable produces them."""

import socket
import threading
import time

import pytest

from apps.airtable.clients import AirtableClient, background_calls
from apps.airtable.exceptions import (
    AirtableAuthenticationFailed,
    AirtableInvalidRequest,
    AirtableRateLimited,
    AirtableUnavailable,
    BaseNotFound,
    RecordNotFound,
    TableNotFound,
)

from .conftest import UNLIMITED

pytestmark = pytest.mark.django_db


def _client(server, token, **kwargs) -> AirtableClient:
    return AirtableClient(token=token, endpoint_url=f"{server.url}/sandbox/airtable", **kwargs)


def test_whoami_bases_and_schema(server, shared_base):
    base_id, token = shared_base
    client = _client(server, token)
    assert client.whoami()["id"].startswith("usr")
    assert base_id in [base["id"] for base in client.bases()]
    names = [table["name"] for table in client.base_tables(base_id)]
    assert names == ["Companies", "Contacts", "Deals", "Activities"]


def test_airtable_errors_become_domain_errors(server, shared_base):
    base_id, token = shared_base
    client = _client(server, token)
    with pytest.raises(AirtableAuthenticationFailed) as refused:
        _client(server, "patAAAAAAAAAAAAAA." + "0" * 64).whoami()
    assert "AUTHENTICATION_REQUIRED" in refused.value.detail
    with pytest.raises(BaseNotFound):
        client.base_tables("appAAAAAAAAAAAAAA")
    with pytest.raises(TableNotFound) as table_missing:
        client.list_records(base_id, "No such table")
    assert table_missing.value.status == 404
    with pytest.raises(RecordNotFound) as record_missing:
        client.record_get(base_id, "Deals", "recAAAAAAAAAAAAAA")
    assert "MODEL_ID_NOT_FOUND" in record_missing.value.detail
    with pytest.raises(AirtableInvalidRequest) as invalid:
        client.list_records(base_id, "Deals", filter_by_formula="{Amount} >")
    assert invalid.value.status == 422
    assert invalid.value.airtable_type == "INVALID_FILTER_BY_FORMULA"
    assert invalid.value.code == "ERROR_AIRTABLE_INVALID_REQUEST"


def test_long_queries_move_to_post_list_records(server, shared_base):
    base_id, token = shared_base
    client = _client(server, token)
    # URL-encoded, this formula takes more than the 16,000 characters a URL may have.
    formula = "OR(" + ", ".join(f"{{Deal}} = 'no deal {index}'" for index in range(450)) \
        + ", {Stage} = 'Won')"
    assert len(formula) < 16_000
    page = client.list_records(base_id, "Deals", filter_by_formula=formula, page_size=100)
    assert page["records"]
    assert all(record["fields"]["Stage"] == "Won" for record in page["records"])


def test_own_limiter_keeps_the_sandbox_under_its_real_limit(platform_server_factory, make_base,
                                                            settings):
    """At Airtable's limits (5/s per base in the sandbox too) the platform draws no 429."""
    server = platform_server_factory()
    sandbox = make_base(3)
    base_id, token = sandbox.base_id, sandbox.token
    settings.AIRTABLE_RATE_LIMIT_PER_BASE = 5.0
    settings.AIRTABLE_RATE_LIMIT_PER_TOKEN = 50.0
    # Slots 235 ms apart: six requests span 1.18 s, so a request that reaches the sandbox up
    # to 176 ms later than the one before it (a busy test machine) still lands in the next
    # one-second window. The default 5 % leaves 52 ms of such jitter.
    settings.AIRTABLE_RATE_LIMIT_HEADROOM = 0.15
    client = _client(server, token, interactive=False)
    # The set-up's own requests (not paced by our limiter) must not share the
    # sandbox's first one-second window with the paced ones.
    time.sleep(1.1)
    started = time.monotonic()
    for _ in range(16):
        client.list_records(base_id, "Items", page_size=1)
    assert client.rate_limited_answers == 0
    assert client.requests_sent == 16
    assert time.monotonic() - started >= 15 / 4.25 - 0.1


def test_a_429_pauses_then_succeeds_in_the_background(platform_server_factory, make_base,
                                                      settings):
    server = platform_server_factory(SANDBOX_RATE_LIMIT_PER_BASE="2",
                                     SANDBOX_RATE_LIMIT_PER_TOKEN="0")
    sandbox = make_base(3)
    base_id, token = sandbox.base_id, sandbox.token
    settings.AIRTABLE_RATE_LIMIT_WAIT_SECONDS = 0.5
    with background_calls():
        client = _client(server, token)
        pages = [client.list_records(base_id, "Items", page_size=1) for _ in range(8)]
    assert all(len(page["records"]) == 1 for page in pages)
    assert client.rate_limited_answers > 0
    assert client.requests_sent == 8 + client.rate_limited_answers


def test_an_interactive_caller_gets_retry_after_instead_of_waiting(platform_server_factory,
                                                                    make_base, settings):
    server = platform_server_factory(SANDBOX_RATE_LIMIT_PER_BASE="2",
                                     SANDBOX_RATE_LIMIT_PER_TOKEN="0")
    sandbox = make_base(3)
    base_id, token = sandbox.base_id, sandbox.token
    settings.AIRTABLE_RATE_LIMIT_WAIT_SECONDS = 30
    settings.AIRTABLE_INTERACTIVE_MAX_WAIT_SECONDS = 1
    client = _client(server, token)
    with pytest.raises(AirtableRateLimited) as limited:
        for _ in range(10):
            client.list_records(base_id, "Items", page_size=1)
    assert limited.value.status == 429
    assert 25 <= int(limited.value.headers["Retry-After"]) <= 30


def test_injected_503s_are_retried(platform_server_factory, make_base, settings):
    server = platform_server_factory(SANDBOX_FAILURE_RATE="0.4", **UNLIMITED)
    sandbox = make_base(3)
    base_id, token = sandbox.base_id, sandbox.token
    settings.AIRTABLE_RETRY_ATTEMPTS = 12
    client = _client(server, token)
    for _ in range(10):
        assert client.list_records(base_id, "Items", page_size=2)["records"]
    assert client.requests_sent > 10


def test_503_beyond_the_retry_budget_is_unavailable(platform_server_factory, make_base,
                                                   settings):
    server = platform_server_factory(SANDBOX_FAILURE_RATE="1", **UNLIMITED)
    sandbox = make_base(3)
    base_id, token = sandbox.base_id, sandbox.token
    settings.AIRTABLE_RETRY_ATTEMPTS = 2
    client = _client(server, token)
    with pytest.raises(AirtableUnavailable) as unavailable:
        client.list_records(base_id, "Items")
    assert unavailable.value.status == 503
    assert unavailable.value.code == "ERROR_AIRTABLE_UNAVAILABLE"
    assert client.requests_sent == 3


class SilentServer:
    """Accepts connections and never answers: a hung Airtable."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.accepted = 0
        self.held = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_every_call_has_a_timeout_and_writes_are_not_resent(settings):
    settings.AIRTABLE_TIMEOUT_READ_SECONDS = 0.3
    settings.AIRTABLE_RETRY_ATTEMPTS = 2
    silent = SilentServer()
    try:
        client = AirtableClient(token="patAAAAAAAAAAAAAA." + "0" * 64, endpoint_url=silent.url)
        started = time.monotonic()
        with pytest.raises(AirtableUnavailable) as timed_out:
            client.list_records("appAAAAAAAAAAAAAA", "Deals")
        assert "did not answer in time" in timed_out.value.detail
        assert silent.accepted == 3  # a read is retried
        assert time.monotonic() - started < 5
        with pytest.raises(AirtableUnavailable) as write_timed_out:
            list(client.records_create("appAAAAAAAAAAAAAA", "Deals", [{"Deal": "x"}]))
        assert silent.accepted == 4  # a create is sent once: it may have been applied
        assert "may or may not have been applied" in write_timed_out.value.detail
    finally:
        silent.close()


def test_refused_connections_are_retried_then_unavailable(settings):
    settings.AIRTABLE_RETRY_ATTEMPTS = 2
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AirtableClient(token="patAAAAAAAAAAAAAA." + "0" * 64,
                            endpoint_url=f"http://127.0.0.1:{port}")
    with pytest.raises(AirtableUnavailable) as refused:
        list(client.records_create("appAAAAAAAAAAAAAA", "Deals", [{"Deal": "x"}]))
    assert "could not be reached" in refused.value.detail
    assert client.requests_sent == 3
