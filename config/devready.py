"""`make dev`'s last word: once the web process answers, one block with the address, both
logins and what to try first. Standard library only."""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

LOGINS = Path(__file__).resolve().parent.parent / ".data" / "dev-logins.json"


def logins_save(kind: str, email: str, password: str) -> None:
    """Keep a dev login made by seed_demo, so every `make dev` can print it (file mode 0600,
    under the git-ignored .data/)."""
    known = logins_read()
    known[kind] = {"email": email, "password": password}
    LOGINS.parent.mkdir(parents=True, exist_ok=True)
    LOGINS.touch(mode=0o600, exist_ok=True)
    LOGINS.write_text(json.dumps(known, indent=2))


def logins_read() -> dict:
    try:
        return json.loads(LOGINS.read_text())
    except (OSError, ValueError):
        return {}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http to itself)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _login_line(login: dict | None, fallback: str) -> str:
    if not login:
        return fallback
    return f"{login['email']}  /  {login['password']}"


def block(port: int, logins: dict) -> str:
    url = f"http://localhost:{port}"
    lines = [
        f"PyAirtable is running:  {url}",
        "",
        "Team login      " + _login_line(
            logins.get("demo"), "demo@example.com (reset its password: .venv/bin/python "
                                "manage.py changepassword demo@example.com)"),
        f"Operator admin  {url}/admin/  {_login_line(logins.get('operator'), 'admin@example.com')}",
        "",
        "Try first:",
        f"  1. Log in at {url}/login and open Airtable: the demo base syncs from the sandbox.",
        "  2. Open a table: filter, sort, edit a cell, add a row.",
        "  3. Members: invite someone (the email prints in this terminal).",
        "  4. Chat: set OPENAI_API_KEY (or a team key under Chat settings) and ask about the base.",
        "",
        "Ctrl-C stops web, worker and beat; `make stop` stops PostgreSQL and Redis.",
    ]
    width = max(len(line) for line in lines) + 4
    rule = "=" * width
    return "\n".join([rule, *[f"  {line}" for line in lines], rule])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--timeout", type=float, default=300)
    options = parser.parse_args(argv)
    deadline = time.monotonic() + options.timeout
    while not _answers(f"http://127.0.0.1:{options.port}/health"):
        if time.monotonic() > deadline:
            print(f"The web process did not answer on port {options.port} within "
                  f"{options.timeout:.0f} s; see its output above.", file=sys.stderr)
            return 1
        time.sleep(0.5)
    time.sleep(1.5)  # let the worker's and beat's start-up banners pass first
    print("\n" + block(options.port, logins_read()) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
