"""`make loadtest` and `make soak`: the platform under a realistic mix, on loopback.

    python bench/load/loadtest.py [--steps 1,2,4,8,16,32] [--seconds 30] [--records 10000]
    python bench/load/loadtest.py --soak [--users N] [--seconds 600]

What runs, as production runs it: gunicorn (3 workers) for request/response, uvicorn
(2 workers, psycopg pool) for `/mcp` and the chat's SSE streams, a Celery worker
(concurrency 2, beat inside for the reapers and the schedule tick), on a PostgreSQL and a
Redis this script starts under a temporary folder (or DATABASE_URL / REDIS_URL). The
sandbox plays Airtable in a gunicorn of its own (2 workers), so a write-through waits on
"Airtable", not on a worker of its own pool. The model is a scripted OpenAI-compatible
server: a turn is a `list_records` tool call and an answer. Seeded: a tenant with the
demo CRM (`--records` records) synced into its mirror, an API key (read, write) and a
manual workflow that lists records. The limits that guard a real tenant (API-key and
tenant throttles, the Airtable client's 5 requests/s per base, the sandbox's 429s, the
workflow run quotas) are lifted: this measures capacity, not the limiter.

The load (bench/load/locustfile.py) runs in a process of its own for each step. Knee:
steps of concurrency, each `--seconds` long, stopping at the first whose overall p95
crosses `--target-ms` (200 ms). Soak: half the knee of the last loadtest result (or
`--users`) for SOAK_SECONDS (600, at most 3,600); it fails (exit 1) on any error, on a
process whose RSS grew from the first to the last minute, on PostgreSQL connections or
file descriptors that grew, or on a workflow run or file left unfinished or failed.
The figures go to the terminal and to .artifacts/loadtest.json or .artifacts/soak.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import psutil  # noqa: E402
from _common import ROOT, Server, setup_django, tenant_with_base  # noqa: E402

from config import devservices  # noqa: E402
from tests.support.openai_server import (  # noqa: E402
    ScriptedOpenAI,
    call,
    text_reply,
    tool_call_reply,
)
from tests.support.workers import Worker  # noqa: E402

ARTIFACTS = ROOT / ".artifacts"
SLUG = "load"
SANDBOX_TOKEN = "patLoadTest000000." + "0" * 64
MODEL_KEY = "sk-load-test-key"
MAX_SOAK_SECONDS = 3600
SAMPLE_SECONDS = 5.0
# A soak passes when, from its first minute to its last, no process's RSS grew by more
# than both of these, and no process's file descriptors nor any process kind's PostgreSQL
# connections grew by more than these (pools and keep-alive sockets breathe a little).
RSS_GROWTH_MB = 16.0
RSS_GROWTH_SHARE = 0.05
FD_GROWTH = 8
PG_CONNECTION_GROWTH = 2
# A pooled process kind (realtime) opens connections as demand asks, up to its bound, and
# closes an idle one only after the pool's max_idle (10 minutes): within one soak its
# count follows the busiest moments so far, and the check is the bound instead. A leak
# passes the bound, or, pooled, ends in requests waiting out the pool's timeout (errors).
POOL_MAX = int(os.environ.get("DATABASE_POOL_MAX", "10"))
DRAIN_SECONDS = 120.0
OVERLOAD_MS = 2000.0


class LoadModel(ScriptedOpenAI):
    """The model of every chat turn: it asks for list_records, then answers with text. It
    keeps no record of the requests (a soak would hoard them)."""

    base_id = ""

    def accept(self, handler, body: dict):
        messages = body.get("messages") or []
        if messages and messages[-1].get("role") == "tool":
            return text_reply("Twenty won deals over $1,000; the largest comes first.")
        return tool_call_reply(call("list_records", {
            "baseId": self.base_id, "table": "Deals",
            "filterByFormula": "AND({Stage} = 'Won', {Amount} > 1000)", "pageSize": 20}))


class Platform:
    """PostgreSQL, Redis, the model, the sandbox, web, realtime and a worker; seeded."""

    def __init__(self, *, records: int, only: list[str] | None = None, small: bool = False):
        self.only = only or []
        self.small = small
        self.folder = Path(tempfile.mkdtemp(prefix="pyairtable-load-"))
        os.chmod(self.folder, 0o755)
        self.services: list[devservices.Running] = []
        self.servers: dict[str, Server] = {}
        self.worker: Worker | None = None
        self.model = LoadModel().start()
        try:
            self._start(records)
        except BaseException:
            self.stop()
            raise

    def _start(self, records: int) -> None:
        if not os.environ.get("DATABASE_URL"):
            pg = devservices.start_postgres(self.folder / "pg", devservices.free_port())
            self.services.append(pg)
            os.environ["DATABASE_URL"] = pg.url
        if not os.environ.get("REDIS_URL"):
            redis = devservices.start_redis(self.folder / "redis", devservices.free_port())
            self.services.append(redis)
            os.environ["REDIS_URL"] = redis.url
        self.database_url = os.environ["DATABASE_URL"]
        os.environ.update({
            "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "false",
            "LOG_LEVEL": "WARNING", "CELERY_TASK_ALWAYS_EAGER": "false",
            "MEDIA_ROOT": str(self.folder / "media"),
            "OPENAI_API_KEY": MODEL_KEY, "OPENAI_BASE_URL": self.model.url,
            "LLM_DEFAULT_MODEL": "gpt-4o-mini",
            "THROTTLE_API_KEY": "100000000/min", "THROTTLE_TENANT": "100000000/min",
            "AIRTABLE_RATE_LIMIT_PER_BASE": "100000", "AIRTABLE_RATE_LIMIT_PER_TOKEN": "100000",
            "SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0",
            "WORKFLOWS_MAX_CONCURRENT_RUNS": "100000", "WORKFLOWS_MAX_RUNS_PER_MINUTE": "100000",
        })
        clock = time.monotonic()
        setup_django()
        print(f"database ready in {time.monotonic() - clock:.1f} s", flush=True)

        def named(kind: str) -> dict:
            """Each process kind's connections carry its name in pg_stat_activity."""
            separator = "&" if "?" in self.database_url else "?"
            return {"DATABASE_URL": f"{self.database_url}{separator}application_name={kind}"}

        clock = time.monotonic()

        def start(role: str, **options) -> None:
            for attempt in (1, 2):  # a free port taken by someone else in the meantime
                try:
                    self.servers[role] = Server(**options)
                    return
                except RuntimeError as error:
                    print(f"{role} did not start ({error}, attempt {attempt})", flush=True)

        sizes = {"sandbox": 1, "web": 1, "realtime": 1, "worker": 1} if self.small else \
            {"sandbox": 2, "web": 3, "realtime": 2, "worker": 2}
        self.pool_bounds = {"realtime": sizes["realtime"] * POOL_MAX}
        roles = {"sandbox": {"workers": sizes["sandbox"], "extra_env": named("sandbox")},
                 "web": {"workers": sizes["web"], "extra_env": named("web")},
                 "realtime": {"workers": sizes["realtime"], "asgi": True,
                              "extra_env": named("realtime")}}
        starters = [threading.Thread(target=start, args=(role,), kwargs=options)
                    for role, options in roles.items()]
        for starter in starters:
            starter.start()
        self.worker = Worker({**named("worker")}, concurrency=sizes["worker"], cwd=str(ROOT))
        self.worker.start()
        for starter in starters:
            starter.join()
        if set(self.servers) != {"sandbox", "web", "realtime"}:
            raise RuntimeError(f"only {sorted(self.servers)} started")
        print(f"processes up in {time.monotonic() - clock:.1f} s", flush=True)
        self.config = self._seed(records)
        print(f"seeded ({records:,} records synced) in {time.monotonic() - clock:.1f} s",
              flush=True)

    def warm_up(self, seconds: float) -> None:
        """A first load, not counted: every worker process imports, connects and fills its
        caches on its first requests of each kind, which is not the steady state."""
        if seconds > 0:
            self.load(2, seconds)

    def _seed(self, records: int) -> dict:
        from django.db import connections
        from django_tenants.utils import tenant_context

        from apps.accounts.selectors import user_get_by_email
        from apps.airtable import selectors as airtable_selectors
        from apps.workflows import services as workflow_services

        tenant, base_id, key = tenant_with_base(self.servers["sandbox"], slug=SLUG,
                                                records=records, sandbox_token=SANDBOX_TOKEN,
                                                scopes=("read", "write"))
        self.model.base_id = base_id
        self.schema = tenant.schema_name
        owner = user_get_by_email(f"owner@{SLUG}.example.com")
        with tenant_context(tenant):
            page = airtable_selectors.record_list(base_id=base_id, table="Deals", page_size=100)
            workflow = workflow_services.workflow_create(actor_id=owner.pk, data={
                "name": f"Won deals {time.time_ns()}", "trigger": {"type": "manual"},
                "steps": [{"id": "won", "type": "list_records", "params": {
                    "baseId": base_id, "table": "Deals", "pageSize": 5,
                    "filterByFormula": "AND({Stage} = 'Won', {Amount} > 1000)"}}]})
        connections.close_all()
        config = {"web": self.servers["web"].url, "realtime": self.servers["realtime"].url,
                  "key": key, "base_id": base_id, "workflow_id": workflow.pk, "only": self.only,
                  "record_ids": [record["id"] for record in page["records"]]}
        self.config_path = self.folder / "load-config.json"
        self.config_path.write_text(json.dumps(config))
        return config

    # --- measuring -------------------------------------------------------------------

    def processes(self) -> list[tuple[str, psutil.Process]]:
        """Every process of the platform, by role."""
        found = []
        roots = {f"{role} ({'uvicorn' if role == 'realtime' else 'gunicorn'})": server.process.pid
                 for role, server in self.servers.items()}
        roots["worker (celery)"] = self.worker.process.pid
        for name, pidfile in (("redis", self.folder / "redis" / "redis.pid"),
                              ("postgres", self.folder / "pg" / "cluster" / "postmaster.pid")):
            if pidfile.exists():
                roots[name] = int(pidfile.read_text().split()[0])
        for role, pid in roots.items():
            try:
                root = psutil.Process(pid)
                found += [(role, process) for process in [root, *root.children(recursive=True)]]
            except psutil.NoSuchProcess:
                continue
        return found

    def sample(self, extra: dict[str, int] | None = None) -> dict:
        """RSS (MiB) and open files of every process, and PostgreSQL connections by kind."""
        rows = []
        for role, process in [*self.processes(), *[(name, psutil.Process(pid))
                                                  for name, pid in (extra or {}).items()]]:
            try:
                with process.oneshot():
                    rows.append({"role": role, "pid": process.pid,
                                 "name": _process_name(process),
                                 "rss_mb": process.memory_info().rss / 2**20,
                                 "fds": process.num_fds()})
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return {"at": time.monotonic(), "processes": rows, "pg_connections": self.connections()}

    def connections(self) -> dict[str, int]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT coalesce(nullif(application_name, ''), 'other'), count(*) "
                "FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() GROUP BY 1").fetchall()
        return dict(rows)

    def background(self, wait_seconds: float) -> dict:
        """Workflow runs and files by status, once the queue has drained (or the wait ends)."""
        from django.db import connections
        from django_tenants.utils import schema_context

        from apps.files.models import File
        from apps.workflows.models import WorkflowRun

        deadline = time.monotonic() + wait_seconds
        while True:
            with schema_context(self.schema):
                runs = dict(WorkflowRun.objects.values_list("status").annotate(
                    n=_count()).order_by())
                files = dict(File.objects.values_list("status").annotate(n=_count()).order_by())
            unfinished = sum(n for status, n in runs.items() if status not in WorkflowRun.FINISHED)
            unfinished += files.get(File.Status.UPLOADED, 0) + files.get(File.Status.PROCESSING, 0)
            if not unfinished or time.monotonic() > deadline:
                connections.close_all()
                return {"workflow_runs": runs, "files": files, "unfinished": unfinished,
                        "failed": runs.get(WorkflowRun.Status.FAILED, 0)
                        + files.get(File.Status.FAILED, 0)}
            time.sleep(1)

    def cpu_seconds(self) -> dict[int, tuple[str, float]]:
        """CPU time (user + system) each platform process has used so far."""
        used = {}
        for role, process in self.processes():
            try:
                times = process.cpu_times()
                used[process.pid] = (role, times.user + times.system)
            except psutil.NoSuchProcess:
                continue
        return used

    def load(self, users: int, seconds: float) -> dict:
        """One run of the load generator; the platform is sampled every few seconds, and the
        CPU it used is set against what the load generator and the rest of the machine used."""
        result_path = self.folder / f"result-{users}-{time.time_ns()}.json"
        cpu_before, machine_before, clock = self.cpu_seconds(), psutil.cpu_times(), time.monotonic()
        generator = subprocess.Popen(
            [sys.executable, str(HERE / "locustfile.py"), str(self.config_path), str(users),
             str(seconds), str(result_path)], cwd=ROOT)
        generator_process = psutil.Process(generator.pid)
        deadline = time.monotonic() + seconds + 120
        samples, generator_cpu = [], 0.0
        while generator.poll() is None:
            if time.monotonic() > deadline:
                generator.kill()
                raise RuntimeError("the load generator did not stop")
            samples.append(self.sample({"load generator (locust)": generator.pid}))
            try:
                times = generator_process.cpu_times()
                generator_cpu = times.user + times.system
            except psutil.NoSuchProcess:
                pass
            time.sleep(SAMPLE_SECONDS)
        if generator.returncode != 0:
            raise RuntimeError(f"the load generator failed ({generator.returncode})")
        elapsed = time.monotonic() - clock
        cpu_after, machine_after = self.cpu_seconds(), psutil.cpu_times()
        platform_cpu = sum(used - cpu_before.get(pid, (role, 0.0))[1]
                           for pid, (role, used) in cpu_after.items())
        busy = sum(getattr(machine_after, name) - getattr(machine_before, name)
                   for name in ("user", "nice", "system", "irq", "softirq", "steal"))
        result = json.loads(result_path.read_text())
        result["load_average"] = os.getloadavg()
        result["cores_used"] = {"platform": platform_cpu / elapsed,
                                "load generator": generator_cpu / elapsed,
                                "rest of the machine": max(0.0, busy - platform_cpu
                                                           - generator_cpu) / elapsed}
        result["samples"] = samples
        return result

    def stop(self) -> None:
        def stop_server(server: Server) -> None:
            try:
                server.stop()
            except subprocess.TimeoutExpired:
                server.process.kill()

        stoppers = [threading.Thread(target=stop_server, args=(server,))
                    for server in self.servers.values()]
        if self.worker:
            stoppers.append(threading.Thread(target=self.worker.stop))
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        # A server that missed its start-up deadline is still a child of this process.
        for child in psutil.Process().children():
            child.terminate()
            try:
                child.wait(10)
            except psutil.TimeoutExpired:
                child.kill()
        self.model.stop()
        while self.services:
            devservices.stop(self.services.pop())
        shutil.rmtree(self.folder, ignore_errors=True)


def _count():
    from django.db.models import Count

    return Count("pk")


def _process_name(process: psutil.Process) -> str:
    command = process.cmdline()
    words = [word for word in command[1:] if not word.startswith("-")][:2]
    return " ".join([Path(command[0]).name if command else process.name(), *words])[:60]


# --- reporting ----------------------------------------------------------------------

def _machine() -> dict:
    return {"cpus": psutil.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30),
            "python": platform.python_version(), "system": platform.platform()}


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _row(cells: list, widths: list[int]) -> str:
    return "  ".join(str(cell).rjust(width) if index else str(cell).ljust(width)
                     for index, (cell, width) in enumerate(zip(cells, widths, strict=True)))


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    print(f"\n== {title}")
    print("  " + _row(header, widths))
    for row in rows:
        print("  " + _row(row, widths))


def _ms(value: float) -> str:
    return f"{value:.0f}"


def print_step(step: dict) -> None:
    rows = [[name, route["requests"], f"{route['rps']:.1f}", _ms(route["p50"]), _ms(route["p95"]),
             _ms(route["p99"]), route["failures"]]
            for name, route in sorted(step["routes"].items())]
    total = step["total"]
    rows.append(["all routes", total["requests"], f"{total['rps']:.1f}", _ms(total["p50"]),
                 _ms(total["p95"]), _ms(total["p99"]), total["failures"]])
    cores = step["cores_used"]
    print_table(f"{step['users']} users, {step['seconds']:.0f} s, load average "
                f"{step['load_average'][0]:.2f}; cores used: platform {cores['platform']:.2f}, "
                f"load generator {cores['load generator']:.2f}, rest of the machine "
                f"{cores['rest of the machine']:.2f}",
                ["route", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows)
    for error in step["errors"]:
        print(f"  error  {error['method']} {error['route']}: {error['occurrences']} x "
              f"{error['error']}")
    for item in step["exceptions"]:
        print(f"  exception  {item['count']} x {item['message']}")


def print_processes(sample: dict) -> None:
    rows = [[row["role"], row["pid"], row["name"], f"{row['rss_mb']:.0f}", row["fds"]]
            for row in sample["processes"]]
    print_table("processes at the end of the step", ["role", "pid", "process", "RSS MiB", "fds"],
                rows)
    print("  PostgreSQL connections by process kind: "
          + ", ".join(f"{kind} {n}" for kind, n in sorted(sample["pg_connections"].items())))


def _strip_samples(step: dict) -> dict:
    """A step in the JSON keeps its last sample (processes), not every one."""
    return {**{k: v for k, v in step.items() if k != "samples"},
            "processes": step["samples"][-1]["processes"] if step["samples"] else [],
            "pg_connections": step["samples"][-1]["pg_connections"] if step["samples"] else {}}


def _write(name: str, document: dict) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(json.dumps(document, indent=2, default=str))
    return path


# --- the two runs -------------------------------------------------------------------

def knee_run(platform_: Platform, steps: list[int], seconds: float, target_ms: float) -> dict:
    results = []
    for users in steps:
        step = platform_.load(users, seconds)
        print_step(step)
        if step["samples"]:
            print_processes(step["samples"][-1])
        results.append(step)
        if step["total"]["p95"] > OVERLOAD_MS:
            break  # far past the knee: more users only queue
    summary = [[s["users"], f"{s['total']['rps']:.1f}", _ms(s["total"]["p50"]),
                _ms(s["total"]["p95"]), _ms(s["total"]["p99"]), s["total"]["failures"],
                f"{s['load_average'][0]:.2f}", f"{s['cores_used']['platform']:.2f}",
                f"{s['cores_used']['load generator']:.2f}",
                f"{s['cores_used']['rest of the machine']:.2f}"] for s in results]
    print_table("steps", ["users", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "load",
                          "platform cores", "locust cores", "others' cores"], summary)
    # The knee: the fewest users from which every step's p95 is over the target (one noisy
    # step under it on a shared machine is not the knee).
    over = [s["total"]["p95"] > target_ms for s in results]
    knee = next((s["users"] for index, s in enumerate(results) if all(over[index:])), None)
    first_over = next((s["users"] for s, is_over in zip(results, over, strict=True) if is_over),
                      None)
    below = [s["users"] for s, is_over in zip(results, over, strict=True)
             if not is_over and (knee is None or s["users"] < knee)]
    if knee:
        print(f"\nknee: the overall p95 is over {target_ms:.0f} ms from {knee} users on "
              f"(first step over it: {first_over} users; last under it: "
              f"{below[-1] if below else 'none'} users)")
    else:
        print(f"\nknee: the overall p95 stayed under {target_ms:.0f} ms up to {steps[-1]} users")
    return {"knee_users": knee, "first_over_target_users": first_over,
            "last_under_target_users": below[-1] if below else None,
            "target_p95_ms": target_ms, "steps": [_strip_samples(s) for s in results]}


def _window(samples: list[dict], start: float, end: float) -> list[dict]:
    return [s for s in samples if start <= s["at"] <= end]


def soak_checks(samples: list[dict], window: float,
                pool_bounds: dict[str, int]) -> tuple[list[str], list[list]]:
    """Compare the first and last `window` seconds of the soak: the broken rules, and rows."""
    first = _window(samples, samples[0]["at"], samples[0]["at"] + window)
    last = _window(samples, samples[-1]["at"] - window, samples[-1]["at"])
    broken, rows = [], []

    def by_pid(group: list[dict]) -> dict[int, list[dict]]:
        found: dict[int, list[dict]] = {}
        for sample in group:
            for row in sample["processes"]:
                found.setdefault(row["pid"], []).append(row)
        return found

    before, after = by_pid(first), by_pid(last)
    for pid in sorted(set(before) & set(after)):
        role = before[pid][0]["role"]
        if role == "load generator (locust)":
            continue
        rss_before = statistics.median(row["rss_mb"] for row in before[pid])
        rss_after = statistics.median(row["rss_mb"] for row in after[pid])
        fds_before = max(row["fds"] for row in before[pid])
        fds_after = max(row["fds"] for row in after[pid])
        rows.append([role, pid, before[pid][0]["name"], f"{rss_before:.1f}", f"{rss_after:.1f}",
                     fds_before, fds_after])
        if role == "postgres":
            # A backend maps shared buffers as it touches them and keeps the files of the
            # relations it has read open (up to max_files_per_process): both warm up over
            # the first minutes and are bounded. Backends are checked as connections.
            continue
        grown = rss_after - rss_before
        if grown > RSS_GROWTH_MB and grown > RSS_GROWTH_SHARE * rss_before:
            broken.append(f"{role} pid {pid}: RSS {rss_before:.1f} -> {rss_after:.1f} MiB")
        if fds_after - fds_before > FD_GROWTH:
            broken.append(f"{role} pid {pid}: file descriptors {fds_before} -> {fds_after}")
    kinds = {kind for sample in samples for kind in sample["pg_connections"]}
    for kind in sorted(kinds):
        most_before = max(s["pg_connections"].get(kind, 0) for s in first)
        most_after = max(s["pg_connections"].get(kind, 0) for s in last)
        rows.append([f"PostgreSQL connections: {kind}", "", "", "", "", most_before, most_after])
        if kind in pool_bounds:
            most = max(s["pg_connections"].get(kind, 0) for s in samples)
            if most > pool_bounds[kind]:
                broken.append(f"PostgreSQL connections of {kind}: {most}, over its pools' "
                              f"bound of {pool_bounds[kind]}")
        elif most_after - most_before > PG_CONNECTION_GROWTH:
            broken.append(f"PostgreSQL connections of {kind}: {most_before} -> {most_after}")
    return broken, rows


def soak_run(platform_: Platform, users: int, seconds: float) -> tuple[dict, list[str]]:
    window = min(60.0, seconds / 3)
    result = platform_.load(users, seconds)
    print_step(result)
    broken, rows = soak_checks(result["samples"], window, platform_.pool_bounds)
    print_table(f"first vs last {window:.0f} s (RSS median MiB, fds and connections at most)",
                ["process", "pid", "command", "RSS first", "RSS last", "first", "last"], rows)
    errors = result["total"]["failures"] + sum(item["count"] for item in result["exceptions"])
    if errors:
        broken.insert(0, f"{errors} errors")
    return {**_strip_samples(result), "window_seconds": window, "checks": rows,
            "broken": broken}, broken


def _soak_users(explicit: int | None) -> int | None:
    if explicit:
        return explicit
    earlier = ARTIFACTS / "loadtest.json"
    if earlier.exists():
        knee = json.loads(earlier.read_text()).get("knee_users")
        if knee:
            return max(1, knee // 2)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--soak", action="store_true", help="a soak instead of the knee")
    parser.add_argument("--steps", default=os.environ.get("LOADTEST_STEPS", "1,2,4,8,16,32"))
    parser.add_argument("--seconds", type=float, default=None,
                        help="each step (loadtest, 30) or the whole soak (SOAK_SECONDS, 600)")
    parser.add_argument("--users", type=int, default=None, help="the soak's users")
    parser.add_argument("--records", type=int,
                        default=int(os.environ.get("LOADTEST_RECORDS", "10000")))
    parser.add_argument("--target-ms", type=float, default=200.0)
    parser.add_argument("--json", type=Path, default=None, help="where the result goes")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds of load before the first measured one")
    parser.add_argument("--only", default="", help="these actions alone (locustfile names)")
    parser.add_argument("--small", action="store_true",
                        help="one worker per process kind (the suite's quick check)")
    options = parser.parse_args(argv)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    uptime_before = _uptime()
    print(f"uptime before: {uptime_before}", flush=True)
    users = None
    if options.soak:
        users = _soak_users(options.users)
        seconds = min(options.seconds or float(os.environ.get("SOAK_SECONDS", "600")),
                      MAX_SOAK_SECONDS)
    platform_ = Platform(records=options.records,
                         only=[name for name in options.only.split(",") if name],
                         small=options.small)
    broken: list[str] = []
    try:
        platform_.warm_up(options.warmup)
        if options.soak:
            if users is None:
                print("no knee known yet (run make loadtest first): finding it with 10 s steps")
                found = knee_run(platform_, [int(n) for n in options.steps.split(",")], 10,
                                 options.target_ms)
                users = max(1, (found["knee_users"] or int(options.steps.split(",")[-1])) // 2)
            print(f"\nsoak: {users} users for {seconds:.0f} s", flush=True)
            document, broken = soak_run(platform_, users, seconds)
        else:
            document = knee_run(platform_, [int(n) for n in options.steps.split(",")],
                                options.seconds or float(os.environ.get("LOADTEST_SECONDS", "30")),
                                options.target_ms)
        clock = time.monotonic()
        document["background"] = background = platform_.background(DRAIN_SECONDS)
        print(f"drained in {time.monotonic() - clock:.1f} s", flush=True)
        print(f"\nbackground work after the load: workflow runs {background['workflow_runs']}, "
              f"files {background['files']}")
        if options.soak and (background["unfinished"] or background["failed"]):
            broken.append(f"{background['unfinished']} runs or files unfinished, "
                          f"{background['failed']} failed")
    finally:
        clock = time.monotonic()
        platform_.stop()
        print(f"stopped in {time.monotonic() - clock:.1f} s", flush=True)
    uptime_after = _uptime()
    print(f"uptime after: {uptime_after}")
    command = ["python", "bench/load/loadtest.py", *(sys.argv[1:] if argv is None else argv)]
    document.update({"started_at": started_at, "machine": _machine(), "records": options.records,
                     "uptime_before": uptime_before, "uptime_after": uptime_after,
                     "command": " ".join(command)})
    if options.json is None:
        path = _write("soak.json" if options.soak else "loadtest.json", document)
    else:
        path = options.json
        path.write_text(json.dumps(document, indent=2, default=str))
    print(f"result: {path}")
    if options.soak:
        if broken:
            print("\nsoak FAILED:\n  " + "\n  ".join(broken))
            return 1
        print("\nsoak passed: zero errors, flat memory, no connection or descriptor growth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
