"""Another tenant never sees alpha's connections, bases, records or jobs."""

import pytest
from django_tenants.utils import schema_context

from apps.airtable.models import AirtableConnection, Record

from ..conftest import connect, sync

API = "/api/v1/airtable"


@pytest.fixture
def alpha(team_a, server, make_base, django_capture_on_commit_callbacks):
    sandbox = make_base(5)
    connection = connect(team_a, server, sandbox.token, name="Alpha secret connection")
    job = sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    with schema_context(team_a.tenant.schema_name):
        record_id = Record.objects.values_list("record_id", flat=True).first()
    return {"connection": connection.pk, "base": sandbox.base_id, "job": job.pk,
            "record": record_id, "token": sandbox.token}


def _requests(alpha):
    base, record = alpha["base"], alpha["record"]
    records = f"{API}/bases/{base}/tables/Items/records"
    return [
        ("get", f"{API}/connections/{alpha['connection']}", None),
        ("post", f"{API}/connections/{alpha['connection']}/test", None),
        ("delete", f"{API}/connections/{alpha['connection']}", None),
        ("get", f"{API}/bases/{base}", None),
        ("patch", f"{API}/bases/{base}", {"sync_enabled": False}),
        ("get", f"{API}/bases/{base}/tables", None),
        ("get", f"{API}/bases/{base}/tables/Items", None),
        ("post", f"{API}/bases/{base}/sync", {}),
        ("get", f"{API}/bases/{base}/sync-jobs", None),
        ("get", f"{API}/sync-jobs/{alpha['job']}", None),
        ("get", records, None),
        ("get", f"{records}/{record}", None),
        ("post", f"{records}/listRecords", {}),
        ("post", records, {"records": [{"fields": {"Name": "intruder"}}]}),
        ("patch", records, {"records": [{"id": record, "fields": {"Name": "intruder"}}]}),
        ("delete", f"{records}?records[]={record}", None),
    ]


def _assert_hidden(answer, alpha):
    assert answer.status_code in (403, 404), (answer.status_code, answer.content)
    body = answer.content.decode()
    for secret in (alpha["base"], alpha["record"], alpha["token"], "Alpha secret connection",
                   "Inventory", "Item 0000"):
        assert secret not in body


@pytest.mark.parametrize("credential", ["jwt", "api_key", "x_api_key"])
def test_bravo_sees_nothing_of_alpha(alpha, team_a, team_b, client_for, credential):
    client = {
        "jwt": lambda: client_for(jwt=team_b.jwt()),
        "api_key": lambda: client_for(key=team_b.api_key()),
        "x_api_key": lambda: client_for(key=team_b.api_key(), header="x-api-key"),
    }[credential]()
    for method, url, body in _requests(alpha):
        answer = getattr(client, method)(url, body, format="json") if body is not None \
            else getattr(client, method)(url)
        _assert_hidden(answer, alpha)
    for url in (f"{API}/connections", f"{API}/bases"):
        listing = client.get(url)
        assert listing.status_code == 200
        assert listing.json()["results"] == []
    with schema_context(team_a.tenant.schema_name):
        assert AirtableConnection.objects.filter(pk=alpha["connection"]).exists()
    owner = client_for(jwt=team_a.jwt())
    assert owner.get(f"{API}/bases/{alpha['base']}/tables/Items/records").json()["records"]


def test_bravo_credentials_on_alphas_host_are_refused(alpha, team_a, team_b, client_for, anon):
    for client in (client_for(jwt=team_b.jwt(), host=team_a.host),
                   client_for(key=team_b.api_key(), host=team_a.host)):
        for method, url, body in _requests(alpha)[:4]:
            answer = getattr(client, method)(url, body, format="json") if body is not None \
                else getattr(client, method)(url)
            _assert_hidden(answer, alpha)
    anonymous = anon.get(f"{API}/bases/{alpha['base']}/tables/Items/records",
                         HTTP_HOST=team_a.host)
    assert anonymous.status_code == 401
    assert alpha["record"] not in anonymous.content.decode()


def test_the_same_base_in_two_tenants_stays_apart(alpha, team_a, team_b, server, client_for,
                                                  django_capture_on_commit_callbacks):
    """Bravo connecting the same Airtable base gets its own mirror; writes stay its own."""
    connect(team_b, server, alpha["token"], name="Bravo's own")
    sync(team_b, alpha["base"], capture=django_capture_on_commit_callbacks)
    bravo = client_for(jwt=team_b.jwt())
    url = f"{API}/bases/{alpha['base']}/tables/Items/records"
    assert len(bravo.get(url).json()["records"]) == 5
    connections = bravo.get(f"{API}/connections").json()["results"]
    assert [item["name"] for item in connections] == ["Bravo's own"]
    with schema_context(team_a.tenant.schema_name):
        assert Record.objects.count() == 5
