"""The real MCP clients the tests drive against a live server: the Python SDK
1.x in a virtualenv of its own and the TypeScript SDK 1.x from the npm
registry, each installed once into .data/."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.mcp_clients import SUPPORT

ROOT = Path(__file__).resolve().parents[2]
MCP1_VENV = ROOT / ".data" / "mcp1-venv"
TS_CLIENT_DIR = ROOT / ".data" / "mcp-ts-sdk1"
TS_SDK = "@modelcontextprotocol/sdk@1.32.2"


@pytest.fixture(scope="session")
def mcp1_python() -> str:
    python = MCP1_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MCP1_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "mcp>=1.20,<2"],
                       check=True)
    version = subprocess.run([str(python), "-c", "import mcp, importlib.metadata as m; "
                              "print(m.version('mcp'))"], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert version.startswith("1."), version
    return str(python)


@pytest.fixture(scope="session")
def ts_client() -> Path:
    """tests/support/mcp_ts_client.mjs beside its node_modules with the TypeScript SDK 1.x."""
    package = TS_CLIENT_DIR / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json"
    if not package.exists():
        TS_CLIENT_DIR.mkdir(parents=True, exist_ok=True)
        (TS_CLIENT_DIR / "package.json").write_text(
            json.dumps({"name": "mcp-ts-sdk1-probe", "private": True, "type": "module"}))
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", TS_SDK],
                       cwd=TS_CLIENT_DIR, check=True, timeout=300)
    version = json.loads(package.read_text())["version"]
    assert version.startswith("1."), version
    script = TS_CLIENT_DIR / "mcp_ts_client.mjs"
    script.write_text((SUPPORT / "mcp_ts_client.mjs").read_text())
    return script

