"""A record listing carries its formula in the URL, as Airtable's clients send it
(pyairtable switches to POST …/listRecords only past 16,000 characters): the web process
takes request lines up to 8 KB, and the API answers them itself."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest
from django.db import connection

from tests.conftest import PlatformServer, committed_team

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def web(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        key = committed_team("long-urls").api_key()
        server = PlatformServer(connection.settings_dict["NAME"], {}, gunicorn_workers=1)
    yield server, key
    server.stop()


def test_a_7_kb_formula_in_the_url_reaches_the_api(web):
    server, key = web
    formula = "OR(" + ",".join(f"Name='p{n:04}'" for n in range(330)) + ")"
    # Over gunicorn's default request line (4094 bytes), under its maximum (8190).
    assert 5000 < len(urlencode({"filterByFormula": formula})) < 8000
    answer = httpx.get(f"{server.url}/api/v1/airtable/bases/appNothing00000/tables/People/"
                       "records", params={"filterByFormula": formula},
                       headers={"X-API-Key": key}, timeout=30)
    # gunicorn's default request line (4094 bytes) answered 400 text/plain before the API.
    assert answer.status_code == 404, answer.text[:200]
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "ERROR_BASE_NOT_FOUND"
