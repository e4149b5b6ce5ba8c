"""Chat benchmark: the platform's own time per turn, everything but the model's.

A scripted OpenAI-compatible server on 127.0.0.1 answers at once. Each turn is two
rounds: the model asks for `list_records` (a formula filter on the demo CRM's
Deals), the platform runs it through the registry and sends the records back, the
model answers. Measured in the same run:

- baseline: the same two completions asked of the scripted server directly with the
  `openai` SDK (the model's own time, as the platform sees it);
- a turn through the platform: `POST …/messages` as JSON (gunicorn) and as SSE
  (uvicorn), with authentication, the turn lock, the system prompt, the history,
  the tool call, every step saved, usage and cost recorded.

Overhead per round = (turn p50 - baseline p50) / 2. Target: under 50 ms per round.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("AIRTABLE_RATE_LIMIT_PER_BASE", "1000")
os.environ.setdefault("AIRTABLE_RATE_LIMIT_PER_TOKEN", "5000")

from _common import ROOT, Server, report, setup_django, summary, tenant_with_base

setup_django()

import sys  # noqa: E402

import httpx  # noqa: E402
from openai import OpenAI  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.support.openai_server import (  # noqa: E402
    ScriptedOpenAI,
    call,
    text_reply,
    tool_call_reply,
)

TURNS = 150
WARMUP = 10
RECORDS = 2000
SLUG = "bench-chat"
SANDBOX_TOKEN = "patBenchChat00000." + "0" * 64
FORMULA = "AND({Stage} = 'Won', {Amount} > 1000)"
MODEL_KEY = "sk-bench-platform-key"


def plan_turn(model: ScriptedOpenAI, base_id: str) -> None:
    model.plan(tool_call_reply(call("list_records", {
        "baseId": base_id, "table": "Deals", "filterByFormula": FORMULA, "pageSize": 20})),
        text_reply("Twenty won deals over $1,000; the first is the one with the largest "
                   "amount. Sources are the records listed."))


def baseline(model: ScriptedOpenAI, base_id: str, stream: bool) -> list[float]:
    """The two completions of a turn, asked directly: the model's time alone."""
    client = OpenAI(base_url=model.url, api_key=MODEL_KEY, max_retries=0)
    messages = [{"role": "user", "content": "Which deals over $1,000 did we win?"}]
    samples = []
    for _ in range(TURNS + WARMUP):
        plan_turn(model, base_id)
        started = time.perf_counter()
        for _round in range(2):
            if stream:
                for _chunk in client.chat.completions.create(
                        model="gpt-4o-mini", messages=messages, stream=True,
                        stream_options={"include_usage": True}):
                    pass
            else:
                client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        samples.append((time.perf_counter() - started) * 1000)
    return samples[WARMUP:]


def through_platform(server: Server, model: ScriptedOpenAI, key: str, base_id: str,
                     stream: bool) -> list[float]:
    headers = {"Authorization": f"Bearer {key}"}
    samples = []
    with httpx.Client(base_url=f"{server.url}/api/v1/chat", headers=headers,
                      timeout=60) as client:
        for _ in range(TURNS + WARMUP):
            conversation = client.post("/conversations", json={}).json()["id"]
            plan_turn(model, base_id)
            body = {"content": "Which deals over $1,000 did we win?"}
            started = time.perf_counter()
            if stream:
                with client.stream("POST", f"/conversations/{conversation}/messages", json=body,
                                   headers={"Accept": "text/event-stream"}) as answer:
                    text = "".join(answer.iter_text())
                assert "event: done" in text, text[-500:]
            else:
                answer = client.post(f"/conversations/{conversation}/messages", json=body)
                assert answer.status_code == 201, answer.text
            samples.append((time.perf_counter() - started) * 1000)
            client.delete(f"/conversations/{conversation}")
    return samples[WARMUP:]


def main() -> None:
    model = ScriptedOpenAI().start()
    env = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0",
           "THROTTLE_API_KEY": "1000000/min", "THROTTLE_TENANT": "1000000/min",
           "OPENAI_API_KEY": MODEL_KEY, "OPENAI_BASE_URL": model.url,
           "LLM_DEFAULT_MODEL": "gpt-4o-mini"}
    web = Server(workers=2, extra_env=env)
    realtime = Server(workers=2, asgi=True, extra_env=env)
    try:
        _tenant, base_id, key = tenant_with_base(web, slug=SLUG, records=RECORDS,
                                                 sandbox_token=SANDBOX_TOKEN,
                                                 scopes=("read", "write"))
        direct = summary(baseline(model, base_id, stream=False))
        direct_stream = summary(baseline(model, base_id, stream=True))
        turn = summary(through_platform(web, model, key, base_id, stream=False))
        turn_stream = summary(through_platform(realtime, model, key, base_id, stream=True))
    finally:
        web.stop()
        realtime.stop()
        model.stop()
    rows = []
    for name, base, measured in (("JSON, gunicorn", direct, turn),
                                 ("SSE, uvicorn", direct_stream, turn_stream)):
        per_round = (measured["p50"] - base["p50"]) / 2
        per_round_p95 = (measured["p95"] - base["p95"]) / 2
        rows += [
            (f"{name}: the model alone (baseline)",
             f"p50 {base['p50']:.1f} ms  p95 {base['p95']:.1f} ms"),
            (f"{name}: a turn through the platform",
             f"p50 {measured['p50']:.1f} ms  p95 {measured['p95']:.1f} ms  "
             f"({measured['p50'] / base['p50']:.1f}x baseline p50)"),
            (f"{name}: platform overhead per round",
             f"p50 {per_round:.1f} ms  p95 {per_round_p95:.1f} ms  (target < 50 ms)"),
        ]
    report(f"Chat turn (2 rounds, list_records on a {RECORDS}-record base), {TURNS} turns", rows)


if __name__ == "__main__":
    main()
