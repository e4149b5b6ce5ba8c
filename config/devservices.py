"""Embedded PostgreSQL and Redis for development and tests.

`python -m config.devservices start|stop|status` manages the servers of
`make dev` under `.data/`; the test suite calls `start_postgres` and
`start_redis` with a temporary folder and free ports. Standard library only:
this runs before the virtualenv's packages are imported.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
# A second checkout runs beside the first with ports of its own (DEV_PG_PORT, DEV_REDIS_PORT;
# the settings read the same variables).
DEV_PG_PORT = int(os.environ.get("DEV_PG_PORT") or 54329)
DEV_REDIS_PORT = int(os.environ.get("DEV_REDIS_PORT") or 63799)
DB_NAME = "pyairtable"


class ServiceError(RuntimeError):
    pass


@dataclass
class Running:
    url: str
    stop_command: list[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if not candidates:
        raise ServiceError(
            f"PostgreSQL's {name} was not found. Install it (Debian: apt-get install "
            "postgresql) or set DATABASE_URL to a server of your own."
        )
    return candidates[-1]


def _as_db_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; run it as the `postgres` user then."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", _db_os_user(), "--", *cmd]


def _db_os_user() -> str:
    for name in ("postgres", "pgembedded"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "pgembedded"], check=True)
    return "pgembedded"


def _chown_for_db(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(_db_os_user())
        for dirpath, _dirs, files in os.walk(path):
            os.chown(dirpath, user.pw_uid, user.pw_gid)
            for f in files:
                os.chown(os.path.join(dirpath, f), user.pw_uid, user.pw_gid)


def _wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise ServiceError(f"nothing answered on 127.0.0.1:{port} after {seconds:.0f} s")


def start_postgres(data_dir: Path, port: int, *, durable: bool = True) -> Running:
    """Initialise the cluster if new, start it, create the database."""
    pg_ctl = _pg_bin("pg_ctl")
    data_dir.mkdir(parents=True, exist_ok=True)
    cluster = data_dir / "cluster"
    log = data_dir / "postgres.log"
    if not (cluster / "PG_VERSION").exists():
        _chown_for_db(data_dir)
        subprocess.run(
            # --no-sync: a new, empty cluster need not wait for the disk (seconds on a busy
            # machine); what is written later is flushed as usual.
            _as_db_user([_pg_bin("initdb"), "-D", str(cluster), "-U", "postgres",
                         "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
            check=True, stdout=subprocess.DEVNULL,
        )
    options = f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    status = subprocess.run(_as_db_user([pg_ctl, "-D", str(cluster), "status"]),
                            capture_output=True)
    if status.returncode != 0:
        _chown_for_db(data_dir)
        subprocess.run(
            _as_db_user([pg_ctl, "-D", str(cluster), "-o", options, "-l", str(log), "-w", "start"]),
            check=True, stdout=subprocess.DEVNULL,
        )
    _wait_for_port(port)
    psql = _pg_bin("psql")
    exists = subprocess.run(
        [psql, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-tAc",
         f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"],
        capture_output=True, text=True, check=True,
    )
    if exists.stdout.strip() != "1":
        subprocess.run(
            [psql, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-qc",
             f"CREATE DATABASE {DB_NAME}"], check=True,
        )
    return Running(
        url=f"postgres://postgres@127.0.0.1:{port}/{DB_NAME}",
        stop_command=_as_db_user([pg_ctl, "-D", str(cluster), "-m", "fast", "-w", "stop"]),
    )


def redis_server_path() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("redis-server is missing: installing it with apt-get", file=sys.stderr)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("redis-server")
    if not found:
        raise ServiceError(
            "redis-server was not found. Install it (Debian: sudo apt-get install "
            "redis-server) or set REDIS_URL to a server of your own."
        )
    return found


def start_redis(data_dir: Path, port: int, *, durable: bool = True) -> Running:
    data_dir.mkdir(parents=True, exist_ok=True)
    pidfile = data_dir / "redis.pid"
    args = [
        redis_server_path(), "--port", str(port), "--bind", "127.0.0.1",
        "--dir", str(data_dir), "--daemonize", "yes", "--pidfile", str(pidfile),
        "--logfile", str(data_dir / "redis.log"),
    ]
    args += ["--appendonly", "yes"] if durable else ["--save", "", "--appendonly", "no"]
    with socket.socket() as sock:
        running = sock.connect_ex(("127.0.0.1", port)) == 0
    if not running:
        subprocess.run(args, check=True)
        _wait_for_port(port)
    return Running(
        url=f"redis://127.0.0.1:{port}/0",
        stop_command=["redis-cli", "-p", str(port), "shutdown", "nosave"],
    )


def stop(running: Running) -> None:
    subprocess.run(running.stop_command, capture_output=True)


def _dev_services() -> list[tuple[str, object]]:
    wanted = []
    if not os.environ.get("DATABASE_URL"):
        wanted.append(("PostgreSQL", lambda: start_postgres(DATA / "pg", DEV_PG_PORT)))
    if not os.environ.get("REDIS_URL"):
        wanted.append(("Redis", lambda: start_redis(DATA / "redis", DEV_REDIS_PORT)))
    return wanted


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "start"
    try:
        if command == "start":
            for name, starter in _dev_services():
                running = starter()
                print(f"{name} is up: {running.url}")
        elif command == "stop":
            if (DATA / "pg" / "cluster" / "PG_VERSION").exists():
                subprocess.run(_as_db_user([_pg_bin("pg_ctl"), "-D", str(DATA / "pg" / "cluster"),
                                            "-m", "fast", "-w", "stop"]), capture_output=True)
                print("PostgreSQL stopped")
            redis_cli = shutil.which("redis-cli")
            if redis_cli:
                subprocess.run([redis_cli, "-p", str(DEV_REDIS_PORT), "shutdown"],
                               capture_output=True)
                print("Redis stopped")
        else:
            print("usage: python -m config.devservices start|stop", file=sys.stderr)
            return 2
    except (ServiceError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
