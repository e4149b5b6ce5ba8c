"""Settings from the environment; a malformed value stops start-up with one line."""

import os
import subprocess
import sys

import pytest

from config import env as cfg


@pytest.mark.parametrize(("raw", "expected"), [
    ("pdf,doc,docx,txt,csv,xlsx", ["pdf", "doc", "docx", "txt", "csv", "xlsx"]),
    (" PDF , .Docx,txt ", ["pdf", "docx", "txt"]),
    ('["pdf", "csv"]', ["pdf", "csv"]),
    ("pdf,pdf,csv", ["pdf", "csv"]),
    ("", ["pdf", "doc", "docx", "txt", "csv", "xlsx"]),
])
def test_allowed_extensions_parse(monkeypatch, raw, expected):
    monkeypatch.setenv("ALLOWED_EXTENSIONS", raw)
    assert cfg.extension_list("ALLOWED_EXTENSIONS",
                              ["pdf", "doc", "docx", "txt", "csv", "xlsx"]) == expected


@pytest.mark.parametrize("raw", ['["pdf", 3]', '["pdf"', "pdf;doc", "pdf,,doc", "*", '{"a":1}'])
def test_malformed_allowed_extensions_are_refused(monkeypatch, raw):
    monkeypatch.setenv("ALLOWED_EXTENSIONS", raw)
    with pytest.raises(cfg.SettingError) as error:
        cfg.extension_list("ALLOWED_EXTENSIONS", [])
    assert error.value.name == "ALLOWED_EXTENSIONS"


@pytest.mark.parametrize(("name", "value"), [
    ("ALLOWED_EXTENSIONS", "pdf;doc"),
    ("MAX_UPLOAD_MB", "ten"),
    ("DATABASE_URL", "not a url"),
])
def test_bad_value_fails_start_up_with_one_line(name, value):
    env = {**os.environ, name: value, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {name}:")
    assert "Traceback" not in result.stderr


def test_settings_are_read(settings):
    assert settings.ALLOWED_EXTENSIONS == ["pdf", "doc", "docx", "txt", "csv", "xlsx"] or \
        os.environ.get("ALLOWED_EXTENSIONS")
    assert settings.TENANT_LIMIT_SET_CALLS is True
    assert settings.CACHES["default"]["KEY_FUNCTION"] == "django_tenants.cache.make_key"
    assert settings.SIMPLE_JWT["ALGORITHM"] == "HS256"
