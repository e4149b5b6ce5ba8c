"""MCP benchmark: `tools/call` of list_records (a formula filter on the demo
CRM's Deals), search_records and get_record through the full HTTP path of
/mcp — uvicorn, authentication, the SDK, the registry, the audit — next to a
direct call of the list_records selector in the same run, and the fixed cost
of a call (`ping`, `whoami`). BENCH_MCP_RECORDS sets the size of the base
(20,000 by default). Target: p95 under 20 ms for list_records at 20k."""

from __future__ import annotations

import os
import time

os.environ.setdefault("AIRTABLE_RATE_LIMIT_PER_BASE", "1000")
os.environ.setdefault("AIRTABLE_RATE_LIMIT_PER_TOKEN", "5000")

from _common import Server, report, setup_django, summary, tenant_with_base

setup_django()

import httpx  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from apps.airtable import selectors as airtable_selectors  # noqa: E402

CALLS = int(os.environ.get("BENCH_MCP_CALLS", "400"))
RECORDS = int(os.environ.get("BENCH_MCP_RECORDS", "20000"))
FORMULA = "AND({Stage} = 'Won', {Amount} > 1000)"
SLUG = "bench-mcp"
SANDBOX_TOKEN = "patBenchMcp000000." + "0" * 64


def direct(tenant, base_id) -> list[float]:
    samples = []
    with tenant_context(tenant):
        for _ in range(CALLS + 20):
            started = time.perf_counter()
            page = airtable_selectors.record_list(base_id=base_id, table="Deals",
                                                  filter_by_formula=FORMULA, page_size=20)
            samples.append((time.perf_counter() - started) * 1000)
    assert page["records"], "the filter matched nothing"
    return samples[20:]


def over_mcp(server: Server, key: str, body: dict) -> list[float]:
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2025-11-25"}
    samples = []
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        for _ in range(CALLS + 20):
            started = time.perf_counter()
            answer = client.post("/mcp", json=body)
            samples.append((time.perf_counter() - started) * 1000)
            result = answer.json()["result"]
            assert not result.get("isError"), result
    return samples[20:]


def tool_call(name: str, arguments: dict) -> dict:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}}


def a_record_id(tenant, base_id) -> str:
    with tenant_context(tenant):
        page = airtable_selectors.record_list(base_id=base_id, table="Deals",
                                              page_size=1, offset=None)
    return page["records"][0]["id"]


def main() -> None:
    server = Server(workers=2, asgi=True, extra_env={
        "SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0",
        "THROTTLE_API_KEY": "1000000/min", "THROTTLE_TENANT": "1000000/min"})
    try:
        tenant, base_id, key = tenant_with_base(server, slug=SLUG, records=RECORDS,
                                                sandbox_token=SANDBOX_TOKEN)
        base = summary(direct(tenant, base_id))
        deals = {"baseId": base_id, "table": "Deals"}
        calls = [
            ("ping (fixed cost of a request)", {"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            ("tools/call whoami (fixed cost of a call)", tool_call("whoami", {})),
            ("tools/call list_records (formula, 20 rows)", tool_call("list_records", {
                **deals, "filterByFormula": FORMULA, "pageSize": 20})),
            ("tools/call search_records (text, 20 rows)", tool_call("search_records", {
                **deals, "query": "won", "maxRecords": 20})),
            ("tools/call get_record", tool_call("get_record", {
                **deals, "recordId": a_record_id(tenant, base_id)})),
        ]
        measured = [(label, summary(over_mcp(server, key, body))) for label, body in calls]
    finally:
        server.stop()
    report(f"MCP over HTTP, {CALLS} sequential calls each, {RECORDS}-record base", [
        ("direct list_records selector call (baseline)",
         f"p50 {base['p50']:.2f} ms  p95 {base['p95']:.2f} ms"),
        *[(f"POST /mcp {label}", f"p50 {row['p50']:.2f} ms  p95 {row['p95']:.2f} ms")
          for label, row in measured],
    ])


if __name__ == "__main__":
    main()
