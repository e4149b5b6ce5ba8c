"""Foundation benchmarks.

1. Tenant provisioning: cloning the migrated template schema (what sign-up
   does) versus CREATE SCHEMA + migrate_schemas for one tenant.
2. Request latency of GET /api/v1/auth/me (tenant resolution, API key or JWT
   authentication, membership) next to /health (a plain Django view) through
   gunicorn, in the same run.
"""

from __future__ import annotations

import time

from _common import Server, report, setup_django, summary

setup_django()

import httpx  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from apps.accounts.selectors import user_get_by_email  # noqa: E402
from apps.accounts.services import api_key_create, tokens_issue, user_register  # noqa: E402
from apps.tenants.selectors import tenant_get_by_slug  # noqa: E402
from apps.tenants.services import tenant_create, tenant_delete, tenant_template_ensure  # noqa: E402

ROUNDS = 5
REQUESTS = 1500


def provisioning() -> None:
    tenant_template_ensure()
    clone_ms, migrate_ms = [], []
    for n in range(ROUNDS):
        slug = f"bench-clone-{n}"
        if (old := tenant_get_by_slug(slug)) is not None:
            tenant_delete(tenant=old)
        started = time.perf_counter()
        tenant = tenant_create(name=slug, slug=slug)
        clone_ms.append((time.perf_counter() - started) * 1000)
        tenant_delete(tenant=tenant)

        schema = f"bench_migrate_{n}"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
        call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False,
                     verbosity=0)
        migrate_ms.append((time.perf_counter() - started) * 1000)
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    clone, migrate = summary(clone_ms), summary(migrate_ms)
    report(f"Tenant provisioning (one tenant, median of {ROUNDS})", [
        ("clone of template (sign-up path)", f"{clone['p50']:.0f} ms"),
        ("CREATE SCHEMA + migrate_schemas", f"{migrate['p50']:.0f} ms  (baseline)"),
        ("clone / migrate", f"{clone['p50'] / migrate['p50']:.2f}x  "
                            f"(target: clone below 1000 ms)"),
    ])


def _bench_user():
    email = "bench@bench.example.com"
    user = user_get_by_email(email)
    if user is None:
        user, _tenant = user_register(email=email, password="bench-password-long-enough-1",
                                      tenant_name="Bench", tenant_slug="bench")
    return user, tenant_get_by_slug("bench")


def _timed_gets(client: httpx.Client, url: str, headers: dict) -> list[float]:
    for _ in range(50):
        client.get(url, headers=headers)
    samples = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return samples


def latency() -> None:
    user, tenant = _bench_user()
    _key, raw_key = api_key_create(tenant=tenant, user=user, name="bench", scopes=["read"])
    jwt = tokens_issue(user=user, tenant=tenant)["access"]
    server = Server(workers=2, extra_env={"THROTTLE_TENANT": "1000000/min",
                                          "THROTTLE_API_KEY": "1000000/min"})
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            plain = summary(_timed_gets(client, "/health", {}))
            by_key = summary(_timed_gets(client, "/api/v1/auth/me", {"X-API-Key": raw_key}))
            by_jwt = summary(_timed_gets(client, "/api/v1/auth/me",
                                         {"Authorization": f"Bearer {jwt}"}))
    finally:
        server.stop()
    rows = [("GET /health (plain Django view, baseline)",
             f"p50 {plain['p50']:.2f} ms  p95 {plain['p95']:.2f} ms")]
    for name, figures in (("GET /api/v1/auth/me, API key", by_key),
                          ("GET /api/v1/auth/me, JWT", by_jwt)):
        rows.append((name, f"p50 {figures['p50']:.2f} ms  p95 {figures['p95']:.2f} ms  "
                           f"({figures['p50'] / plain['p50']:.1f}x baseline p50)"))
    report(f"Request latency through gunicorn, 2 workers, {REQUESTS} sequential requests", rows)


if __name__ == "__main__":
    provisioning()
    latency()
