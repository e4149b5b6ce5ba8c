"""`make loadtest` cannot rot: its script, for a few seconds at 2 users against gunicorn,
uvicorn and a Celery worker on this worker's database, gives figures per route with no
error, and the work it queued (workflow runs, file extractions) finishes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def database_name(django_db_setup) -> str:
    return connection.settings_dict["NAME"]


def test_a_short_load_gives_figures_per_route_and_no_error(database_name, tmp_path):
    result_path = tmp_path / "loadtest.json"
    env = {**os.environ,
           "DATABASE_URL": re.sub(r"/[^/]*$", f"/{database_name}", os.environ["DATABASE_URL"]),
           "MEDIA_ROOT": str(tmp_path / "media")}
    finished = subprocess.run(
        [sys.executable, "bench/load/loadtest.py", "--steps", "2", "--seconds", "4",
         "--warmup", "0", "--small", "--records", "200", "--json", str(result_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]

    result = json.loads(result_path.read_text())
    (step,) = result["steps"]
    assert step["users"] == 2
    assert step["errors"] == [] and step["exceptions"] == [], step["errors"]
    assert step["total"]["failures"] == 0
    assert step["total"]["requests"] >= 10, step["total"]
    assert {"GET records (formula filter)", "POST /mcp tools/call"} <= set(step["routes"])
    for name, route in step["routes"].items():
        assert route["requests"] > 0 and route["failures"] == 0, (name, route)
        assert 0 < route["p50"] <= route["p95"] <= route["p99"], (name, route)
    roles = {process["role"] for process in step["processes"]}
    assert {"web (gunicorn)", "realtime (uvicorn)", "worker (celery)",
            "sandbox (gunicorn)"} <= roles
    assert all(process["rss_mb"] > 0 for process in step["processes"])
    assert step["cores_used"]["platform"] > 0, step["cores_used"]
    assert result["background"]["unfinished"] == 0 and result["background"]["failed"] == 0, \
        result["background"]
