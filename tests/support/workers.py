"""A real Celery worker process on the test database, for tests that SIGKILL it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile


class Worker:
    """`celery worker -B` (beat inside, for the reaper) as its own process group."""

    def __init__(self, database_name: str, settings_env: dict[str, str]):
        env = dict(os.environ)
        env["DATABASE_URL"] = re.sub(r"/[^/]*$", f"/{database_name}", env["DATABASE_URL"])
        env.update({"DJANGO_SETTINGS_MODULE": "config.settings.test", **settings_env})
        self.env = env
        self.schedule = tempfile.mktemp(prefix="beat-")
        self.log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", delete=False)
        self.process = None
        self.kills = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--scheduler",
             "celery.beat:PersistentScheduler", "--schedule-filename", self.schedule,
             "--concurrency", "2",
             "--without-mingle", "--without-gossip", "--loglevel", "warning"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

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
