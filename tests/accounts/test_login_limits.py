"""Login limits per client address and per account, on every login path, and a forwarded
header believed only from configured proxies."""

import pytest
from django.test import Client

from apps.core.throttling import client_ip

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def limits(settings):
    settings.LOGIN_RATE_PER_ADDRESS = "5/15m"
    settings.LOGIN_RATE_PER_ACCOUNT = "3/15m"
    return settings


def _api_login(anon, email, password, **extra):
    return anon.post(LOGIN, {"email": email, "password": password}, format="json", **extra)


def test_right_password_is_refused_once_the_account_is_over_its_limit(anon, team_a, limits):
    for _ in range(3):
        assert _api_login(anon, team_a.owner.email, "wrong").status_code == 401
    locked = _api_login(anon, team_a.owner.email, team_a.password)
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("application/problem+json")
    assert locked.json()["code"] == "ERROR_RATE_LIMITED"
    assert int(locked["Retry-After"]) > 0


def test_rotating_forwarded_for_does_not_reset_the_address_limit(anon, team_a, limits):
    answers = [_api_login(anon, f"nobody{index}@example.com", "wrong",
                          HTTP_X_FORWARDED_FOR=f"10.0.{index}.1").status_code
               for index in range(7)]
    assert answers == [401] * 5 + [429] * 2


def test_one_address_cannot_spray_many_accounts(anon, team_a, limits):
    answers = [_api_login(anon, f"user{index}@example.com", "wrong").status_code
               for index in range(6)]
    assert answers[-1] == 429
    assert _api_login(anon, team_a.owner.email, team_a.password).status_code == 429


def test_login_page_is_limited(team_a, limits):
    browser = Client()
    for _ in range(3):
        page = browser.post("/login", {"username": team_a.owner.email, "password": "wrong"})
        assert page.status_code == 200
    page = browser.post("/login", {"username": team_a.owner.email, "password": team_a.password})
    assert page.status_code == 200  # the form again, with the limit as its error
    assert "Too many login attempts" in page.content.decode()
    assert "_auth_user_id" not in browser.session


def test_admin_login_is_limited(team_a, limits):
    from apps.accounts.models import User

    User.objects.filter(pk=team_a.owner.pk).update(is_staff=True, is_superuser=True)
    browser = Client()
    for _ in range(3):
        browser.post("/admin/login/", {"username": team_a.owner.email, "password": "wrong"})
    page = browser.post("/admin/login/?next=/admin/",
                        {"username": team_a.owner.email, "password": team_a.password})
    assert page.status_code == 200
    assert "Too many login attempts" in page.content.decode()
    assert browser.get("/admin/").status_code == 302


def test_register_is_limited_per_address_whatever_the_forwarded_header(db, anon, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "register": "2/hour"}}
    answers = [anon.post("/api/v1/auth/register", {
        "email": f"new{index}@example.com", "password": "a-long-passphrase-42",
        "tenant_name": f"New {index}", "tenant_slug": f"limited-{index}"}, format="json",
        HTTP_X_FORWARDED_FOR=f"203.0.113.{index}").status_code for index in range(3)]
    assert answers[-1] == 429


class _Request:
    def __init__(self, remote, forwarded=None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


def test_forwarded_for_is_believed_only_from_configured_proxies(settings):
    settings.NUM_PROXIES = 0
    assert client_ip(_Request("10.0.0.9", "1.2.3.4")) == "10.0.0.9"
    settings.NUM_PROXIES = 1
    assert client_ip(_Request("10.0.0.9", "6.6.6.6, 1.2.3.4")) == "1.2.3.4"
    assert client_ip(_Request("10.0.0.9")) == "10.0.0.9"
    settings.NUM_PROXIES = 2
    assert client_ip(_Request("10.0.0.9", "6.6.6.6, 1.2.3.4, 10.0.0.2")) == "1.2.3.4"


def test_signup_page_is_limited_per_address(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "register": "1/hour"}}
    pages = [Client().post("/signup", {
        "email": f"page{index}@example.com", "password": "a-long-passphrase-42",
        "tenant_name": f"Page {index}", "tenant_slug": f"page-limited-{index}"})
        for index in range(2)]
    assert pages[0]["Location"] == "/signup/sent"
    assert "Too many requests" in pages[1].content.decode()
