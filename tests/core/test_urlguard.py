"""The outbound URL guard: scheme, user-info, exact origins and non-public addresses."""

import pytest

from apps.core.urlguard import UrlNotAllowed, url_check

PURPOSE = "The endpoint"


@pytest.fixture
def public_only(settings):
    settings.URLGUARD_ALLOWED_NETWORKS = []


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/", "http://localhost/", "http://[::1]/", "http://10.1.2.3/",
    "http://192.168.0.1/", "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://2130706433/",
    "http://0x7f.0.0.1/", "http://224.0.0.1/", "http://[fe80::1]/",
])
def test_non_public_addresses_are_refused(public_only, url):
    with pytest.raises(UrlNotAllowed) as refused:
        url_check(url, purpose=PURPOSE, field="endpoint_url")
    assert refused.value.errors == {"endpoint_url": [refused.value.detail]}


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "gopher://x/", "ftp://example.com/", "http://", "https://:443/",
    "https://api.openai.com@127.0.0.1/", "https://user:pass@api.openai.com/",
    "http://example.com:99999/", "", "   ",
])
def test_only_plain_http_urls_with_a_host(url):
    with pytest.raises(UrlNotAllowed):
        url_check(url, purpose=PURPOSE)


def test_loopback_is_reachable_only_when_a_setting_allows_it(settings):
    settings.URLGUARD_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert url_check(" http://127.0.0.1:9/v1 ", purpose=PURPOSE) == "http://127.0.0.1:9/v1"
    with pytest.raises(UrlNotAllowed):
        url_check("http://10.0.0.1/", purpose=PURPOSE)


def test_allowed_origins_match_exactly_not_by_prefix(public_only):
    allowed = ["https://api.openai.com", "http://ollama.internal:11434/"]
    assert url_check("https://API.openai.com:443/v1", purpose=PURPOSE, allowed_origins=allowed)
    assert url_check("http://ollama.internal:11434/v1", purpose=PURPOSE, allowed_origins=allowed)
    for url in ("https://api.openai.com@evil.example/v1", "https://api.openai.com.evil.example/",
                "http://api.openai.com/", "https://api.openai.com:8443/",
                "http://ollama.internal:11435/"):
        with pytest.raises(UrlNotAllowed):
            url_check(url, purpose=PURPOSE, allowed_origins=allowed)


def test_an_unresolvable_host_is_refused(public_only):
    with pytest.raises(UrlNotAllowed):
        url_check("https://no-such-host.invalid/", purpose=PURPOSE)
