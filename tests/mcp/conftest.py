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
TS_TASKS_DIR = ROOT / ".data" / "mcp-ts-client2-tasks"
INSPECTOR_DIR = ROOT / ".data" / "mcp-inspector"
INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
TS_TASKS_PACKAGES = ["@modelcontextprotocol/client@2.4.0", "@modelcontextprotocol/ext-tasks@0.2.2"]


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


def _npm_install(directory: Path, packages: list[str]) -> None:
    """A node_modules in `directory` holding `packages`, installed once."""
    marker = directory / "installed.json"
    if not marker.exists() or json.loads(marker.read_text()) != packages:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "package.json").write_text(
            json.dumps({"name": directory.name, "private": True, "type": "module"}))
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", *packages],
                       cwd=directory, check=True, timeout=300)
        marker.write_text(json.dumps(packages))


def _npm_client(directory: Path, packages: list[str], script: str) -> Path:
    """tests/support/<script> beside a node_modules holding `packages`."""
    _npm_install(directory, packages)
    target = directory / script
    target.write_text((SUPPORT / script).read_text())
    return target


@pytest.fixture(scope="session")
def ts_client() -> Path:
    """tests/support/mcp_ts_client.mjs beside its node_modules with the TypeScript SDK 1.x."""
    script = _npm_client(TS_CLIENT_DIR, [TS_SDK], "mcp_ts_client.mjs")
    package = TS_CLIENT_DIR / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json"
    version = json.loads(package.read_text())["version"]
    assert version.startswith("1."), version
    return script


@pytest.fixture(scope="session")
def ts_tasks_client() -> Path:
    """tests/support/mcp_ts_tasks_client.mjs with the TypeScript client 2.x and the
    Tasks extension's requester."""
    return _npm_client(TS_TASKS_DIR, TS_TASKS_PACKAGES, "mcp_ts_tasks_client.mjs")



@pytest.fixture(scope="session")
def inspector() -> Path:
    """The MCP Inspector's command, from the npm registry."""
    _npm_install(INSPECTOR_DIR, [INSPECTOR])
    return INSPECTOR_DIR / "node_modules" / ".bin" / "mcp-inspector"
