"""A client on the previous SDK generation (mcp 1.x, handshake protocol) in a
virtualenv of its own, against /mcp of a real server process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import committed_team

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".data" / "mcp1-venv"
CLIENT = ROOT / "tests" / "support" / "mcp1_client.py"


@pytest.fixture(scope="session")
def mcp1_python() -> str:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "mcp>=1.20,<2"],
                       check=True)
    version = subprocess.run([str(python), "-c", "import mcp, importlib.metadata as m; "
                              "print(m.version('mcp'))"], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert version.startswith("1."), version
    return str(python)


@pytest.fixture(scope="module")
def key(django_db_setup, django_db_blocker):
    from apps.accounts.services import api_key_create

    with django_db_blocker.unblock():
        team = committed_team("mcp-one")
        return api_key_create(tenant=team.tenant, user=team.owner, name="sdk1",
                              scopes=["read"])[1]


def run_client(python: str, url: str, key: str, calls: list) -> dict:
    done = subprocess.run([python, str(CLIENT), f"{url}/mcp", key, json.dumps(calls)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_sdk1_client_handshakes_lists_and_calls(platform_server, mcp1_python, key):
    answer = run_client(mcp1_python, platform_server.url, key, [["whoami", {}]])
    assert answer["protocolVersion"].startswith("2025")
    assert "whoami" in answer["tools"]
    (whoami,) = answer["results"]
    assert whoami["isError"] is False
    assert whoami["structuredContent"]["tenant"]["slug"] == "mcp-one"
    assert json.loads(whoami["text"]) == whoami["structuredContent"]
