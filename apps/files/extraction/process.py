"""Runs one extraction in a resource-limited child process and reads its result.

A separate interpreter (not a fork of the worker) so that the child inherits
none of the worker's threads, locks, connections or secrets, and so that
rlimits apply to it alone.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .child import EXIT_OUT_OF_MEMORY, PARENT_ENV
from .errors import EXTRACTION_FAILED, RESOURCE_LIMIT, TIMEOUT, ExtractionFailure
from .limits import Limits

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[3]
# Wall-clock slack over the CPU limit: the child also waits for disk and starts up.
WALL_CLOCK_GRACE_SECONDS = 10
_STDERR_TAIL = 2_000
POLL_SECONDS = 0.05


def _child_env(workdir: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        PARENT_ENV: str(os.getpid()),
    }


def _stderr_tail(path: str) -> str:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - _STDERR_TAIL))
        return handle.read().decode("utf-8", "replace").strip()


def _resident_mb(pid: int) -> float | None:
    """The child's resident memory, from /proc (None where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _kill(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


def _watch(child: subprocess.Popen, limits: Limits) -> None:
    """Wait for the child; kill it at the wall-clock limit or the memory limit.

    Resident memory is watched from here because a Python process that hits its
    own address-space limit may spend its remaining time failing to allocate;
    the child's RLIMIT_AS, set higher, only catches a sudden huge allocation.
    """
    deadline = time.monotonic() + limits.timeout_seconds + WALL_CLOCK_GRACE_SECONDS
    while True:
        try:
            child.wait(timeout=POLL_SECONDS)
            return
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() > deadline:
            _kill(child)
            raise ExtractionFailure(
                TIMEOUT, f"Extraction did not finish within {limits.timeout_seconds} s, "
                         "the most one file may take.")
        resident = _resident_mb(child.pid)
        if resident is not None and resident > limits.memory_mb:
            _kill(child)
            raise ExtractionFailure(
                RESOURCE_LIMIT, f"Extraction needed more than {limits.memory_mb} MB of memory, "
                                "the most one file may use.")


def extract_in_child(*, path: str, file_format: str, name: str, limits: Limits) -> dict[str, Any]:
    """{"text", "metadata", "tables", ...} of the document, or ExtractionFailure."""
    with tempfile.TemporaryDirectory(prefix="files-extract-") as workdir:
        output = os.path.join(workdir, "result.json")
        stderr_path = os.path.join(workdir, "stderr.txt")
        request = json.dumps({"path": os.path.abspath(path), "format": file_format, "name": name,
                              "limits": limits.as_dict(), "output": output})
        with open(stderr_path, "wb") as stderr:
            child = subprocess.Popen(
                [sys.executable, "-E", "-s", "-m", "apps.files.extraction.child"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
                cwd=PROJECT_ROOT, env=_child_env(workdir), start_new_session=True)
            try:
                child.stdin.write(request.encode())
                child.stdin.close()
            except BrokenPipeError:
                pass  # the child is already gone; its exit status tells why
            _watch(child, limits)
        status = child.returncode
        if status == 0 and os.path.exists(output):
            with open(output, encoding="utf-8") as handle:
                outcome = json.load(handle)
            if not outcome.pop("ok"):
                raise ExtractionFailure(outcome["code"], outcome["message"])
            return outcome
        if status in (-signal.SIGXCPU, -signal.SIGKILL):
            raise ExtractionFailure(
                TIMEOUT, f"Extraction used more than {limits.timeout_seconds} s of CPU time, "
                         "the most one file may take.")
        if status == EXIT_OUT_OF_MEMORY:
            raise ExtractionFailure(
                RESOURCE_LIMIT, f"Extraction needed more than {limits.memory_mb} MB of memory, "
                                "the most one file may use.")
        logger.warning("extraction child failed status=%s format=%s stderr=%s", status,
                       file_format, _stderr_tail(stderr_path))
        raise ExtractionFailure(
            EXTRACTION_FAILED, f"The extractor stopped unexpectedly (exit status {status}); the "
                               "file may be damaged or hostile.")
