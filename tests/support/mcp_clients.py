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


def _inspector_argument(key: str, value) -> str:
    return f"{key}={value if isinstance(value, str) else json.dumps(value)}"


def run_inspector(inspector: Path, url: str, key: str, *, method: str, tool: str = "",
                  arguments: dict | None = None, extra: tuple[str, ...] = ()) -> dict:
    """One call of the MCP Inspector's CLI: its exit code, what it printed, and the
    printed JSON when there is some."""
    command = [str(inspector), "--cli", f"{url}/mcp", "--transport", "http",
               "--header", f"Authorization: Bearer {key}", "--method", method, *extra]
    if tool:
        command += ["--tool-name", tool]
    if arguments:
        command += ["--tool-arg", *[_inspector_argument(k, v) for k, v in arguments.items()]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    try:
        printed = json.loads(done.stdout)
    except ValueError:
        printed = None
    return {"code": done.returncode, "json": printed, "stdout": done.stdout[-3000:],
            "stderr": done.stderr[-3000:]}
