"""The load of `make loadtest` and `make soak`: locust, headless, used as a library.

    python bench/load/locustfile.py CONFIG.json USERS SECONDS RESULT.json

loadtest.py starts this as a process of its own for each step (locust patches the
standard library for gevent, which the process that starts and measures the platform
must not be). CONFIG names the two front processes, the API key and the seeded ids.
Every user is a member's script with a short think time; the weights say how often each
action comes up. A user answers with a failure for any status but the expected one, and
for an answer whose body is not what that action promises (a chat stream without its
`done` event, an MCP result flagged `isError`). RESULT gets the figures per route."""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, task
from locust.env import Environment

CONFIG = json.loads(Path(sys.argv[1]).read_text()) if __name__ == "__main__" else {}

FORMULAS = [
    "AND({Stage} = 'Won', {Amount} > 1000)",
    "{Amount} > 50000",
    "OR({Stage} = 'Lead', {Stage} = 'Qualified')",
    "FIND('a', LOWER({Deal}))",
]
TURNS_PER_CONVERSATION = 5
WARMUP_SECONDS = 2.0


class Member(FastHttpUser):
    """One member of the seeded team, with the team's API key."""

    wait_time = between(0.1, 0.3)
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.records_path = (f"/api/v1/airtable/bases/{CONFIG['base_id']}/tables/Deals/records")
        self.auth = {"Authorization": f"Bearer {CONFIG['key']}"}
        self.conversation: str | None = None
        self.turns = 0

    def _expect(self, answer, status: int, check=None) -> None:
        if answer.status_code != status:
            answer.failure(f"{answer.status_code}: {(answer.text or '')[:200]}")
        elif check is not None and (problem := check(answer)):
            answer.failure(problem)
        else:
            answer.success()

    @task(10)
    def records_filtered(self) -> None:
        query = urlencode({"filterByFormula": random.choice(FORMULAS), "pageSize": 20})
        with self.client.get(f"{self.records_path}?{query}", headers=self.auth,
                             name="GET records (formula filter)", catch_response=True) as answer:
            self._expect(answer, 200, lambda a: None if "records" in a.json()
                         else "no records key")

    @task(3)
    def record_write(self) -> None:
        body = {"records": [{"id": random.choice(CONFIG["record_ids"]),
                             "fields": {"Amount": round(random.uniform(100, 90000), 2)}}]}
        with self.client.patch(self.records_path, json=body, headers=self.auth,
                               name="PATCH record (write-through)", catch_response=True) as answer:
            self._expect(answer, 200, lambda a: None if len(a.json().get("records", [])) == 1
                         else "the record did not come back")

    @task(4)
    def mcp_tool_call(self) -> None:
        name, arguments = random.choice([
            ("list_records", {"filterByFormula": random.choice(FORMULAS), "pageSize": 20}),
            ("search_records", {"query": "won", "maxRecords": 20}),
            ("get_record", {"recordId": random.choice(CONFIG["record_ids"])}),
        ])
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": name, "arguments": {"baseId": CONFIG["base_id"], "table": "Deals",
                                        **arguments}}}
        headers = {**self.auth, "Accept": "application/json, text/event-stream",
                   "MCP-Protocol-Version": "2025-11-25"}
        with self.client.post(f"{CONFIG['realtime']}/mcp", json=body, headers=headers,
                              name="POST /mcp tools/call", catch_response=True) as answer:
            self._expect(answer, 200, _mcp_problem)

    @task(1)
    def chat_turn(self) -> None:
        if self.conversation is None or self.turns >= TURNS_PER_CONVERSATION:
            with self.client.post("/api/v1/chat/conversations", json={}, headers=self.auth,
                                  name="POST chat conversation", catch_response=True) as answer:
                self._expect(answer, 201)
                if answer.status_code != 201:
                    return
                self.conversation, self.turns = answer.json()["id"], 0
        self.turns += 1
        with self.client.post(
                f"{CONFIG['realtime']}/api/v1/chat/conversations/{self.conversation}/messages",
                json={"content": "Which deals over $1,000 did we win?"},
                headers={**self.auth, "Accept": "text/event-stream"},
                name="POST chat turn (SSE, 2 model rounds)", catch_response=True) as answer:
            self._expect(answer, 200, _stream_problem)

    @task(1)
    def file_upload(self) -> None:
        boundary = uuid.uuid4().hex
        content = f"Meeting notes {uuid.uuid4()}\n".encode() + b"Pipeline review, Q3.\n" * 40
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\n").encode() + content \
            + f"\r\n--{boundary}--\r\n".encode()
        headers = {**self.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        with self.client.post("/api/v1/files", data=body, headers=headers,
                              name="POST file upload", catch_response=True) as answer:
            self._expect(answer, 201)

    @task(1)
    def workflow_trigger(self) -> None:
        with self.client.post(f"/api/v1/workflows/{CONFIG['workflow_id']}/trigger", json={},
                              headers=self.auth, name="POST workflow trigger",
                              catch_response=True) as answer:
            self._expect(answer, 202, lambda a: None if a.json().get("run_id") else "no run_id")


def _mcp_problem(answer) -> str | None:
    message = answer.json()
    if "error" in message:
        return f"JSON-RPC error {message['error']}"
    if message.get("result", {}).get("isError"):
        return f"tool error {str(message['result'])[:200]}"
    return None


def _stream_problem(answer) -> str | None:
    text = answer.text or ""
    if "event: error" in text:
        return f"error event: {text[text.index('event: error'):][:200]}"
    return None if "event: done" in text else "the stream ended without its done event"


def _figures(entry, seconds: float) -> dict:
    return {"requests": entry.num_requests, "failures": entry.num_failures,
            "rps": entry.num_requests / seconds if seconds else 0.0,
            "p50": entry.get_response_time_percentile(0.50) or 0.0,
            "p95": entry.get_response_time_percentile(0.95) or 0.0,
            "p99": entry.get_response_time_percentile(0.99) or 0.0,
            "avg": entry.avg_response_time, "max": entry.max_response_time or 0.0}


def run(users: int, seconds: float) -> dict:
    """`users` members for `seconds` after a short warm-up that is not counted."""
    Member.host = CONFIG["web"]
    if CONFIG.get("only"):  # one action alone, to look at it without the others' noise
        Member.tasks = [action for action in Member.tasks if action.__name__ in CONFIG["only"]]
    env = Environment(user_classes=[Member])
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(WARMUP_SECONDS)
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    routes = {entry.name: {"method": entry.method, **_figures(entry, elapsed)}
              for entry in env.stats.entries.values() if entry.num_requests}
    total = _figures(env.stats.total, elapsed)
    errors = [{"route": error.name, "method": error.method, "error": str(error.error)[:300],
               "occurrences": error.occurrences} for error in env.stats.errors.values()]
    exceptions = [{"message": item["msg"][:300], "count": item["count"]}
                  for item in runner.exceptions.values()]
    runner.quit()
    return {"users": users, "seconds": elapsed, "total": total, "routes": routes,
            "errors": errors, "exceptions": exceptions}


if __name__ == "__main__":
    result = run(int(sys.argv[2]), float(sys.argv[3]))
    Path(sys.argv[4]).write_text(json.dumps(result, indent=2))
