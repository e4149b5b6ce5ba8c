"""The operator admin shows connections and sync jobs on a tenant's host, never a token."""

from django.contrib.auth import get_user_model
from django.test import Client

from ..conftest import connect, sync


def test_admin_hides_the_token(team_a, server, make_base, django_capture_on_commit_callbacks):
    sandbox = make_base(2)
    connection = connect(team_a, server, sandbox.token)
    sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    operator = get_user_model().objects.create_superuser(email="operator@example.com",
                                                         password="x" * 20)
    browser = Client(HTTP_HOST=team_a.host)
    browser.force_login(operator)
    for url in ("/admin/airtable/airtableconnection/",
                f"/admin/airtable/airtableconnection/{connection.pk}/change/",
                "/admin/airtable/syncjob/"):
        page = browser.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert sandbox.token not in html
        assert connection.token_encrypted not in html
    assert sandbox.base_id in browser.get(
        f"/admin/airtable/airtableconnection/{connection.pk}/change/").content.decode()
