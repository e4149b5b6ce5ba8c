"""MCP benchmark: `tools/call list_records` (a formula filter on the demo CRM's
Deals) through the full HTTP path of /mcp — uvicorn, authentication, the SDK,
the registry, the audit — next to a direct call of the same selector in the
same run. Target: p95 under 30 ms on this machine."""

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

CALLS = 400
RECORDS = 2000
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


def over_mcp(server: Server, key: str, base_id: str) -> list[float]:
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2025-11-25"}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "list_records", "arguments": {"baseId": base_id, "table": "Deals",
                                              "filterByFormula": FORMULA, "pageSize": 20}}}
    samples = []
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        for _ in range(CALLS + 20):
            started = time.perf_counter()
            answer = client.post("/mcp", json=body)
            samples.append((time.perf_counter() - started) * 1000)
            result = answer.json()["result"]
            assert not result["isError"], result
    return samples[20:]


def main() -> None:
    server = Server(workers=2, asgi=True, extra_env={
        "SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0",
        "THROTTLE_API_KEY": "1000000/min", "THROTTLE_TENANT": "1000000/min"})
    try:
        tenant, base_id, key = tenant_with_base(server, slug=SLUG, records=RECORDS,
                                                sandbox_token=SANDBOX_TOKEN)
        base = summary(direct(tenant, base_id))
        mcp = summary(over_mcp(server, key, base_id))
    finally:
        server.stop()
    report(f"MCP tools/call list_records, {CALLS} sequential calls, {RECORDS}-record base", [
        ("direct selector call (baseline)", f"p50 {base['p50']:.2f} ms  p95 {base['p95']:.2f} ms"),
        ("POST /mcp tools/call (uvicorn, 2 workers)",
         f"p50 {mcp['p50']:.2f} ms  p95 {mcp['p95']:.2f} ms  "
         f"({mcp['p95'] / base['p95']:.1f}x baseline p95; target p95 < 30 ms)"),
    ])


if __name__ == "__main__":
    main()
