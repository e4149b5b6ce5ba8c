"""Helpers shared by the benchmarks: Django set-up on the dev services,
percentiles, a real server process, and a uniform report."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


BENCH_DATABASE = "pyairtable_bench"


def _bench_database_url() -> str:
    """A database of the benchmarks' own on the dev server, so that the tenants,
    connections and schedules they make never reach the data of `make dev`."""
    import psycopg

    from config import devservices

    server = f"postgres://postgres@127.0.0.1:{devservices.DEV_PG_PORT}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              [BENCH_DATABASE]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return f"{server}/{BENCH_DATABASE}"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("DEBUG", "false")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = _bench_database_url()
        # Redis database 8: the dev worker's queue and cache stay apart.
        os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:63799/8")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_platform", verbosity=0)


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(samples_ms: list[float]) -> dict:
    return {"p50": percentile(samples_ms, 50), "p95": percentile(samples_ms, 95),
            "mean": statistics.fmean(samples_ms), "n": len(samples_ms)}


def timed(call, runs: int) -> list[float]:
    """Milliseconds each of `runs` calls took."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def fmt(samples: list[float]) -> str:
    stats = summary(samples)
    return f"p50 {stats['p50']:.1f} ms, p95 {stats['p95']:.1f} ms (n={stats['n']})"


def report(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n== {title}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The platform on a free port, as production runs it: gunicorn (web, WSGI) or
    uvicorn with the psycopg pool (realtime, ASGI: /mcp and streams)."""

    def __init__(self, workers: int = 2, extra_env: dict | None = None, asgi: bool = False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "false",
               **(extra_env or {})}
        if asgi:
            env["DATABASE_POOL"] = "true"
            command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host",
                       "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
                       "--lifespan", "on", "--timeout-keep-alive", "75",
                       "--log-level", "warning"]
        else:
            command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind",
                       f"127.0.0.1:{self.port}", "--workers", str(workers),
                       "--log-level", "warning"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def tenant_with_base(server: Server, *, slug: str, records: int, sandbox_token: str,
                     scopes: tuple[str, ...] = ("read",)):
    """A tenant of the benchmark's own with the sandbox's demo CRM connected (through the
    server's /sandbox/airtable) and fully synced; returns (tenant, base_id, API key)."""
    from django_tenants.utils import tenant_context

    from apps.accounts.selectors import user_get_by_email
    from apps.accounts.services import api_key_create, user_register
    from apps.airtable import selectors as airtable_selectors
    from apps.airtable import services as airtable_services
    from apps.sandbox.services import sandbox_seed_demo
    from apps.tenants.selectors import tenant_get_by_slug

    email = f"owner@{slug}.example.com"
    user = user_get_by_email(email)
    if user is None:
        user, _tenant = user_register(email=email, password="bench-password-long-enough-1",
                                      tenant_name=slug.replace("-", " ").title(),
                                      tenant_slug=slug)
    tenant = tenant_get_by_slug(slug)
    base_id, token = sandbox_seed_demo(records=records, token=sandbox_token)
    endpoint = f"{server.url}/sandbox/airtable"
    with tenant_context(tenant):
        known = airtable_selectors.base_list().filter(base_id=base_id).first()
        if known is None:
            airtable_services.connection_create(name="Bench", token=token, endpoint_url=endpoint)
        elif known.connection.endpoint_url != endpoint:  # an earlier run's server port
            airtable_services.connection_update(connection_id=known.connection_id,
                                                endpoint_url=endpoint)
        job = airtable_services.base_sync(base_id=base_id, full=True)
        airtable_services.sync_job_run(job_id=job.pk)
    key = api_key_create(tenant=tenant, user=user, name="bench", scopes=list(scopes))[1]
    return tenant, base_id, key
