"""Run the real MCP clients of tests/support as processes of their own."""

import json
import subprocess
from pathlib import Path

SUPPORT = Path(__file__).resolve().parent


def _run(command: list[str]) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def run_python_sdk1(python: str, url: str, key: str, calls: list) -> dict:
    return _run([python, str(SUPPORT / "mcp1_client.py"), f"{url}/mcp", key, json.dumps(calls)])


def run_ts_sdk1(script: Path, url: str, key: str, calls: list) -> dict:
    return _run(["node", str(script), f"{url}/mcp", key, json.dumps(calls)])


def run_ts_tasks(script: Path, url: str, key: str, calls: list) -> dict:
    return _run(["node", str(script), f"{url}/mcp", key, json.dumps(calls)])
