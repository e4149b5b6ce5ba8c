"""A real Celery worker process, for tests and benchmarks that SIGKILL it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile


def worker_env_on(database_name: str, settings_env: dict[str, str]) -> dict[str, str]:
    """A worker's environment on this test process's database and the test settings."""
    url = re.sub(r"/[^/]*$", f"/{database_name}", os.environ["DATABASE_URL"])
    return {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test",
            **settings_env}


class Worker:
    """`celery worker -B` (beat inside, for the reapers) as its own process group,
    started and SIGKILLed at will."""

    def __init__(self, env: dict, *, concurrency: int = 2, cwd: str | None = None):
        self.env = {**os.environ, **env}
        self.cwd = cwd
        self.concurrency = concurrency
        self.schedule = tempfile.mktemp(prefix="beat-")
        self.log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", delete=False)
        self.process: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--scheduler",
             "celery.beat:PersistentScheduler", "--schedule-filename", self.schedule,
             "--concurrency", str(self.concurrency), "--without-mingle", "--without-gossip",
             "--loglevel", "warning"],
            env=self.env, cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self) -> str:
        with open(self.log.name) as handle:
            return handle.read()[-4000:]
