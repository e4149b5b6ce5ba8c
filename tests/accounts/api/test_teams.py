"""Creating another team through the API while signed in."""

from django_tenants.utils import tenant_context

from apps.accounts.models import Membership
from apps.accounts.selectors import memberships_of_user
from apps.airtable.models import Base
from apps.tenants.selectors import tenant_get_by_slug

TEAMS = "/api/v1/teams"


def test_a_signed_in_user_creates_a_team_and_owns_it(team_a, client_for):
    answer = client_for(jwt=team_a.jwt()).post(TEAMS, {"name": "Side Project",
                                                       "slug": "side-project"}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["tenant"]["slug"] == "side-project" and body["tenant"]["name"] == "Side Project"
    assert body["role"] == "owner"
    membership = Membership.objects.get(user=team_a.owner, tenant__slug="side-project")
    assert membership.role == Membership.Role.OWNER
    assert Membership.objects.filter(tenant__slug="side-project").count() == 1
    # The tokens it answers act in the new team, which starts empty.
    me = client_for(jwt=body["access"]).get("/api/v1/auth/me").json()
    assert (me["tenant"]["slug"], me["role"]) == ("side-project", "owner")
    members = client_for(jwt=body["access"]).get("/api/v1/members").json()
    assert [row["email"] for row in members["results"]] == [team_a.owner.email]
    assert {m.tenant.slug for m in memberships_of_user(user=team_a.owner)} >= {
        "alpha", "side-project"}


def test_the_new_team_sees_nothing_of_the_creators_other_team(team_a, client_for):
    team_a.api_key()  # alpha has a key; the new team must not list it
    created = client_for(jwt=team_a.jwt()).post(TEAMS, {"name": "Fresh", "slug": "fresh-team"},
                                                format="json").json()
    keys = client_for(jwt=created["access"]).get("/api/v1/api-keys").json()
    assert keys["results"] == []
    with tenant_context(tenant_get_by_slug("fresh-team")):
        assert Base.objects.count() == 0


def test_bad_input_and_taken_addresses_are_problems(team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    taken = client.post(TEAMS, {"name": "Dup", "slug": "bravo"}, format="json")
    assert taken.status_code == 409
    assert taken["Content-Type"].startswith("application/problem+json")
    assert taken.json()["code"] == "ERROR_TENANT_SLUG_TAKEN"
    for body in ({}, {"name": "X"}, {"name": "X", "slug": "Not A Slug!"},
                 {"name": ["x"], "slug": {"a": 1}}, {"name": "X", "slug": "x" * 500}):
        answer = client.post(TEAMS, body, format="json")
        assert answer.status_code == 400, (body, answer.content)
        assert answer["Content-Type"].startswith("application/problem+json")


def test_an_api_key_or_no_credential_cannot_create_teams(team_a, client_for, anon):
    refused = client_for(key=team_a.api_key()).post(TEAMS, {"name": "K", "slug": "by-key"},
                                                    format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "ERROR_PERSONAL_CREDENTIAL_REQUIRED"
    assert anon.post(TEAMS, {"name": "A", "slug": "by-anon"}, format="json").status_code == 401
    assert not Membership.objects.filter(tenant__slug__in=["by-key", "by-anon"]).exists()
