"""An extraction child dies with the worker that started it (SIGKILL leaves no orphan)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

PARENT = textwrap.dedent("""
    import sys
    from apps.files.extraction.limits import Limits
    from apps.files.extraction.process import extract_in_child
    extract_in_child(path=sys.argv[1], file_format="csv", name="big",
                     limits=Limits(timeout_seconds=120, memory_mb=2048,
                                   max_text_chars=10**9))
""")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigkilled_parent_takes_its_extraction_child_along(tmp_path):
    big = tmp_path / "big.csv"
    row = ",".join(f"value {index}" for index in range(20)) + "\n"
    big.write_text("".join(row.replace("value", f"r{line}") for line in range(400_000)))
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(big)],
                              cwd=Path(__file__).resolve().parents[2],
                              env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"})
    try:
        deadline = time.monotonic() + 60
        children: list[int] = []
        while not children and time.monotonic() < deadline:
            children = _children(parent.pid)
            time.sleep(0.05)
        assert children, "the extraction child never started"
        child = children[0]
        time.sleep(0.5)  # past its start-up, into parsing
        assert _alive(child), "the child ended before the test could kill its parent"
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        if parent.poll() is None:
            parent.kill()
