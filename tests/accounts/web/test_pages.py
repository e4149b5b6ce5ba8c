import pytest

from apps.tenants.selectors import tenant_get_by_slug
from tests.conftest import PASSWORD
from tests.support.signup import confirm_token, outbox_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, team_a):
    client.post("/login", {"username": team_a.owner.email, "password": PASSWORD})
    return client


def test_pages_need_login(client):
    for path in ("/", "/api-keys", "/members"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login")


def _signup(client, email, slug):
    return client.post("/signup", {
        "email": email, "password": "a-fine-long-password-1",
        "tenant_name": "Web Co", "tenant_slug": slug})


def test_signup_page_sends_a_link_that_creates_the_team_and_logs_in(client):
    response = _signup(client, "web@example.com", "web-co")
    assert response["Location"] == "/signup/sent"
    assert "Check your email" in client.get("/signup/sent").content.decode()
    token = confirm_token(outbox_to("web@example.com")[-1])
    link = f"/signup/confirm/{token}"
    assert client.get(link).status_code == 200  # a mail scanner's GET creates nothing
    assert tenant_get_by_slug("web-co") is None
    response = client.post(link, follow=True)
    assert response.status_code == 200
    assert b"Web Co" in response.content
    assert client.get("/signup")["Location"] == "/teams/new"  # signed in: another team
    client.logout()
    again = _signup(client, "web2@example.com", "web-co")
    assert b"already taken" in again.content


def test_signup_page_answers_the_same_for_an_address_with_an_account(client, team_a):
    taken = _signup(client, team_a.owner.email, "web-one")
    new = _signup(client, "fresh@example.com", "web-two")
    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"] == "/signup/sent"
    assert confirm_token(outbox_to(team_a.owner.email)[-1]) is None


def test_a_bad_link_says_so_and_creates_nothing(client):
    response = client.post("/signup/confirm/forged-token")
    assert response.status_code == 400
    assert "invalid or has expired" in response.content.decode()


def test_dashboard_shows_real_state(owner_client, team_a):
    team_a.api_key()
    response = owner_client.get("/")
    content = response.content.decode()
    assert "Alpha" in content
    assert team_a.owner.email in content
    assert "test key" in content
    assert "database" in content


def test_key_list_search_and_sort(owner_client, team_a):
    for name in ("zeta", "alpha-report", "beta"):
        owner_client.post("/api-keys", {"name": name})
    sorted_page = owner_client.get("/api-keys?sort=name").content.decode()
    positions = [sorted_page.index(f"<td>{n}</td>") for n in ("alpha-report", "beta", "zeta")]
    assert positions == sorted(positions)
    searched = owner_client.get("/api-keys?q=rep").content.decode()
    assert "alpha-report" in searched and "<td>zeta</td>" not in searched


def test_new_key_is_shown_once(owner_client):
    first = owner_client.post("/api-keys", {"name": "once"}, follow=True).content.decode()
    assert 'id="new-key-value"' in first
    assert 'id="new-key-value"' not in owner_client.get("/api-keys").content.decode()


def test_switcher_changes_active_tenant(client, team_a, team_b):
    user = team_b.add_member("both@example.com", "member")
    from apps.accounts.models import Membership

    Membership.objects.create(user=user, tenant=team_a.tenant, role="viewer")
    client.post("/login", {"username": "both@example.com", "password": PASSWORD})
    assert b"<h1>Bravo</h1>" in client.get("/").content
    client.post("/switch-tenant", {"tenant_id": team_a.tenant.pk})
    assert b"<h1>Alpha</h1>" in client.get("/").content
    client.post("/switch-tenant", {"tenant_id": 999999})
    assert b"<h1>Alpha</h1>" in client.get("/").content


def test_non_member_on_tenant_host_sees_refusal(client, team_a, team_b):
    client.post("/login", {"username": team_b.owner.email, "password": PASSWORD})
    response = client.get("/", HTTP_HOST=team_a.host)
    assert response.status_code == 403
    assert b"Alpha" not in response.content


def test_viewer_cannot_add_members_in_page(client, team_a):
    team_a.add_member("looker@example.com", "viewer")
    client.post("/login", {"username": "looker@example.com", "password": PASSWORD})
    page = client.get("/members").content.decode()
    assert "Add a member" not in page
    client.post("/members", {"email": "sneaky@example.com", "role": "owner"})
    assert "sneaky@example.com" not in client.get("/members").content.decode()


def test_admin_hides_key_hash(admin_client, team_a):
    team_a.api_key()
    from apps.accounts.models import ApiKey

    key = ApiKey.objects.first()
    page = admin_client.get(f"/admin/accounts/apikey/{key.pk}/change/").content.decode()
    assert key.key_hash not in page
    assert admin_client.get("/admin/tenants/tenant/").status_code == 200


def test_error_pages_are_html_for_browsers(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"<html" in response.content
