"""/metrics under gunicorn with several workers: one scrape counts every worker's requests."""

import re

import httpx
import pytest
from django.db import connection

from tests.conftest import PlatformServer

pytestmark = pytest.mark.django_db

REQUESTS = 40
# A worker's first request imports the URLconf and opens its database connection, which on a
# loaded machine takes longer than httpx's 5 s default: wait as long as a slow CI box needs.
TIMEOUT = httpx.Timeout(120)
# gunicorn kills a worker that has not checked in for 30 s, which a worker still importing
# Django on a machine busy with other suites may not manage: the request it held fails.
GUNICORN_ARGS = "--timeout 300 --graceful-timeout 10"


def _health_requests(text: str) -> float:
    """The requests to /health the scrape reports, over every label set."""
    pattern = re.compile(r'^django_http_requests_total_by_view_transport_method_total\{'
                         r'[^}]*view="health"[^}]*\} ([0-9.e+]+)$', re.MULTILINE)
    return sum(float(value) for value in pattern.findall(text))


@pytest.fixture
def web(tmp_path):
    server = PlatformServer(connection.settings_dict["NAME"],
                            {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
                             "GUNICORN_CMD_ARGS": GUNICORN_ARGS},
                            gunicorn_workers=2)
    yield server
    server.stop()


# No timed assertion: every wait is bounded (120 s a request), and the whole test may take
# as long as a full run on a loaded machine makes it (it takes a few seconds when idle).
@pytest.mark.timeout(900)
def test_every_scrape_adds_up_all_workers(web):
    for _ in range(REQUESTS):
        # A new connection each time, so the kernel hands requests to either worker.
        response = httpx.get(f"{web.url}/health", headers={"Connection": "close"},
                             timeout=TIMEOUT)
        assert response.status_code == 200
    for _ in range(6):
        scrape = httpx.get(f"{web.url}/metrics", headers={"Connection": "close"},
                           timeout=TIMEOUT)
        assert scrape.status_code == 200
        # Without the workers' metrics added up, each scrape shows one worker's share.
        assert _health_requests(scrape.text) == REQUESTS
