"""ALLOWED_EXTENSIONS and the files settings: parsed once at start-up, a bad value
stops the process with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from apps.files.checks import allowed_extensions_check, legacy_word_tool_check
from config import env as cfg

DEFAULT = ["pdf", "doc", "docx", "txt", "csv", "xlsx"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("pdf, csv ,xlsx", ["pdf", "csv", "xlsx"]),
    (".PDF,.Docx, .TXT", ["pdf", "docx", "txt"]),
    ('[".pdf", "CSV", " xlsx "]', ["pdf", "csv", "xlsx"]),
    ("csv", ["csv"]),
    ("   ", DEFAULT),
])
def test_extension_lists_are_forgiving_about_spaces_dots_and_case(monkeypatch, raw, expected):
    monkeypatch.setenv("ALLOWED_EXTENSIONS", raw)
    assert cfg.extension_list("ALLOWED_EXTENSIONS", DEFAULT) == expected


@pytest.mark.parametrize("raw", ["pdf csv", "pdf,../exe", '["pdf", null]', "[pdf, csv]",
                                 "pdf,", "tar.gz", '"pdf"'])
def test_malformed_extension_lists_are_refused(monkeypatch, raw):
    monkeypatch.setenv("ALLOWED_EXTENSIONS", raw)
    with pytest.raises(cfg.SettingError) as error:
        cfg.extension_list("ALLOWED_EXTENSIONS", DEFAULT)
    assert str(error.value).startswith("ALLOWED_EXTENSIONS: ")


def run_setup(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("name", "value"), [
    ("ALLOWED_EXTENSIONS", "pdf;docx"),
    ("ALLOWED_EXTENSIONS", '["pdf",'),
    ("MAX_UPLOAD_MB", "25MB"),
    ("FILES_TENANT_QUOTA_MB", "-1"),
    ("FILES_EXTRACT_TIMEOUT_SECONDS", "soon"),
    ("FILES_EXTRACT_MEMORY_MB", "0"),
])
def test_a_bad_value_stops_start_up_with_one_line_naming_it(name, value):
    result = run_setup("", **{name: value})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"Configuration error: {name}: ")
    assert "Traceback" not in result.stderr


def test_the_parsed_setting_is_what_uploads_are_checked_against():
    result = run_setup(
        "from django.conf import settings; from apps.files.formats import allowed_formats; "
        "print(settings.ALLOWED_EXTENSIONS, sorted(allowed_formats(settings.ALLOWED_EXTENSIONS)),"
        " settings.MAX_UPLOAD_MB)",
        ALLOWED_EXTENSIONS=' .PDF, csv ', MAX_UPLOAD_MB="7")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['pdf', 'csv'] ['csv', 'pdf'] 7"


def test_an_extension_the_platform_cannot_verify_is_reported_at_start(settings):
    settings.ALLOWED_EXTENSIONS = ["pdf", "png"]
    warnings = allowed_extensions_check(None)
    assert [warning.id for warning in warnings] == ["files.W001"]
    assert "png" in warnings[0].msg
    settings.ALLOWED_EXTENSIONS = DEFAULT
    assert allowed_extensions_check(None) == []


def test_allowing_doc_without_a_converter_is_reported(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    settings.ALLOWED_EXTENSIONS = ["doc"]
    assert [warning.id for warning in legacy_word_tool_check(None)] == ["files.W002"]
    settings.ALLOWED_EXTENSIONS = ["pdf"]
    assert legacy_word_tool_check(None) == []
