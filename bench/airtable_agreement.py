"""Mirror agreement at scale: one query per field kind on 100,000 records.

    python bench/airtable_agreement.py [--records 100000]

Seeds the sandbox with a base of every field kind (tests/support/field_kinds.py: items
linked to companies, with lookups, rollups, counts and formulas; made once, about ten
minutes, and reused after), mirrors it, and asks each kind's query of the records API
(answered by the mirror; the connection then points at a closed port, so nothing can
reach Airtable) and of the sandbox, every page of each. Prints, per kind, whether the
two answers are equal record for record, with both times, then "agree N/N". The test
suite runs the same queries on 2,000 records (tests/airtable/api/test_field_kinds.py).
"""

from __future__ import annotations

import argparse
import time

from _common import Server, report, setup_django

setup_django()

import httpx  # noqa: E402
from django.test import override_settings  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from apps.accounts.selectors import user_get_by_email  # noqa: E402
from apps.accounts.services import api_key_create, user_register  # noqa: E402
from apps.airtable import selectors, services  # noqa: E402
from apps.airtable.models import AirtableConnection  # noqa: E402
from apps.sandbox.services import token_ensure  # noqa: E402
from apps.tenants.selectors import tenant_get_by_slug  # noqa: E402
from tests.support.field_kinds import BASE_NAME, base_make, company_count, queries  # noqa: E402

SLUG = "bench-agreement"
CONNECTION = "Bench agreement"
CLOSED = "http://127.0.0.1:9/sandbox/airtable"


def bench_tenant():
    email = f"owner@{SLUG}.example.com"
    user = user_get_by_email(email)
    if user is None:
        user, _tenant = user_register(email=email, password="bench-password-long-enough-1",
                                      tenant_name="Bench Agreement", tenant_slug=SLUG)
    return user, tenant_get_by_slug(SLUG)


def kinds_base(records: int, server: Server) -> tuple[str, str]:
    raw = f"patBenchKnd{records:06d}." + "0" * 64
    token = token_ensure(raw=raw, name="bench field kinds")
    http = httpx.Client(base_url=f"{server.url}/sandbox/airtable/v0", timeout=300,
                        headers={"Authorization": f"Bearer {raw}"})
    for base in http.get("/meta/bases").json()["bases"]:
        if base["name"] == BASE_NAME:
            last = http.get(f"/{base['id']}/Items", params={
                "filterByFormula": f"{{Seq}} = {records - 1}", "fields[]": "Big"}).json()
            if last.get("records") and "Big" in str(
                    http.get(f"/meta/bases/{base['id']}/tables").json()):
                return base["id"], raw
    started = time.monotonic()
    base_id = base_make(token, records, progress=lambda done: print(
        f"  made {done} sandbox items ({time.monotonic() - started:.0f} s)", flush=True))
    print(f"  made the base in {time.monotonic() - started:.0f} s", flush=True)
    return base_id, raw


def whole_answer(http: httpx.Client, url: str, params: dict) -> tuple[list | str, float]:
    """Every page of an answer, and the milliseconds it took."""
    records, offset = [], None
    started = time.perf_counter()
    while True:
        answer = http.get(url, params={**params, "pageSize": 100,
                                       **({"offset": offset} if offset else {})})
        if answer.status_code != 200:
            return answer.text[:300], 0.0
        body = answer.json()
        records += body["records"]
        offset = body.get("offset")
        if not offset:
            return records, (time.perf_counter() - started) * 1000


def how_answered(tenant, base_id: str, formula: str) -> str:
    from apps.airtable.selectors.schema import base_schema, field_map, table_info
    from apps.formulas import NotCompilable, compile_filter, parse

    with tenant_context(tenant):
        schema = base_schema(base_id)
        fields = field_map(table_info(schema, "Items"), schema)
    try:
        compile_filter(parse(formula), fields)
    except NotCompilable:
        return "Python"
    return "SQL"


def agreement(records: int) -> list[tuple[str, str]]:
    user, tenant = bench_tenant()
    server = Server(workers=2, extra_env={"SANDBOX_RATE_LIMIT_PER_BASE": "0",
                                          "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"})
    rows = []
    try:
        base_id, token = kinds_base(records, server)
        with tenant_context(tenant):
            for item in selectors.connection_list().filter(name=CONNECTION):
                services.connection_delete(connection_id=item.pk)
            services.connection_create(name=CONNECTION, token=token,
                                       endpoint_url=f"{server.url}/sandbox/airtable")
            with override_settings(AIRTABLE_RATE_LIMIT_PER_BASE=10_000.0,
                                   AIRTABLE_RATE_LIMIT_PER_TOKEN=10_000.0):
                started = time.monotonic()
                job = selectors.sync_job_get(
                    job_id=services.base_sync(base_id=base_id, full=True).pk)
            rows.append(("mirror", f"{job.created_count} records in "
                                   f"{time.monotonic() - started:.0f} s: {job.status}"))
            key = api_key_create(tenant=tenant, user=user, name="bench", scopes=["read"])[1]
        sandbox = httpx.Client(base_url=f"{server.url}/sandbox/airtable/v0", timeout=600,
                               headers={"Authorization": f"Bearer {token}"})
        cases = queries(records)
        expected = {kind: whole_answer(sandbox, f"/{base_id}/Items", params)
                    for kind, params in cases}
        with tenant_context(tenant):
            # Answers from here on can only come from the mirror.
            AirtableConnection.objects.filter(name=CONNECTION).update(endpoint_url=CLOSED)
        api = httpx.Client(base_url=f"{server.url}/api/v1/airtable", timeout=120,
                           headers={"X-API-Key": key})
        url = f"/bases/{base_id}/tables/Items/records"
        agreed = 0
        for kind, params in cases:
            whole_answer(api, url, params)  # warm-up
            got, mirror_ms = whole_answer(api, url, params)
            answer, sandbox_ms = expected[kind]
            same = got == answer and not isinstance(answer, str)
            agreed += same
            count = len(answer) if isinstance(answer, list) else answer
            how = how_answered(tenant, base_id, params["filterByFormula"])
            rows.append((kind, f"{'agree' if same else 'DISAGREE'}: {count} records; mirror "
                               f"({how}) {mirror_ms:.0f} ms, sandbox {sandbox_ms:.0f} ms  "
                               f"[{params['filterByFormula'][:70]}]"))
        rows.append(("total", f"agree {agreed}/{len(cases)} "
                              f"({records} items, {company_count(records)} companies)"))
    finally:
        server.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    arguments = parser.parse_args()
    report(f"Mirror vs sandbox, one query per field kind, {arguments.records} records",
           agreement(arguments.records))


if __name__ == "__main__":
    main()
