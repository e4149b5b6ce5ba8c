"""Real PostgreSQL and Redis for the suite, on free ports, torn down after.

Loaded with `-p tests.plugins.services` (pyproject.toml) so it runs before
pytest-django reads the settings. With DATABASE_URL / REDIS_URL already set,
those servers are used instead. xdist workers inherit the controller's
servers; each worker gets its own Redis database number.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from config import devservices

_started: list[devservices.Running] = []
_tmpdir: Path | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _tmpdir
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        number = int(re.sub(r"\D", "", worker) or 0)
        os.environ["REDIS_URL"] = re.sub(r"/\d*$", f"/{number + 1}", os.environ["REDIS_URL"])
        return
    _tmpdir = Path(tempfile.mkdtemp(prefix="pyairtable-test-"))
    os.chmod(_tmpdir, 0o755)
    os.environ.setdefault("MEDIA_ROOT", str(_tmpdir / "media"))
    if not os.environ.get("DATABASE_URL"):
        pg = devservices.start_postgres(_tmpdir / "pg", devservices.free_port(), durable=False)
        _started.append(pg)
        os.environ["DATABASE_URL"] = pg.url
    if not os.environ.get("REDIS_URL"):
        redis = devservices.start_redis(_tmpdir / "redis", devservices.free_port(), durable=False)
        _started.append(redis)
        os.environ["REDIS_URL"] = redis.url


def pytest_unconfigure(config):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    while _started:
        devservices.stop(_started.pop())
    if _tmpdir is not None:
        shutil.rmtree(_tmpdir, ignore_errors=True)
