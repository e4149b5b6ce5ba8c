"""The extraction child: `python -m apps.files.extraction.child`.

Reads one JSON request on stdin ({path, format, name, limits, output}),
limits its own CPU time, address space and file writes before it imports a
parser, extracts, and writes {"ok": true, ...} or {"ok": false, "code",
"message"} to `output`. A crash, a kill or an exhausted limit ends only this
process; the parent (process.py) turns the exit status into a reason.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import resource
import signal
import sys
import warnings
from typing import Any

from .errors import CORRUPT, EXTRACTION_FAILED, TOO_COMPLEX, ExtractionFailure
from .limits import MB, Limits

# Exit status when even the failure report could not be written.
EXIT_OUT_OF_MEMORY = 3
EXIT_BAD_REQUEST = 4
EXIT_ORPHANED = 5
PARENT_ENV = "EXTRACTION_PARENT_PID"
_PR_SET_PDEATHSIG = 1
_MESSAGE_CHARS = 500


def _limit_self(limits: Limits) -> None:
    cpu = limits.timeout_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    # The parent watches resident memory against memory_mb; the address space
    # (always larger than what is resident) is capped well above it.
    address_space = max(2 * limits.memory_mb, limits.memory_mb + 512) * MB
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.result_bytes, limits.result_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Writing past RLIMIT_FSIZE then fails with an error instead of a signal.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _without_nul(value: Any) -> Any:
    """PostgreSQL text and JSONB refuse U+0000, which PDFs do contain."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    return value


def _extract(request: dict[str, Any], limits: Limits) -> dict[str, Any]:
    fmt = request["format"]
    if fmt == "pdf":
        from .pdf import extract_pdf as extractor
    elif fmt == "docx":
        from .word import extract_docx as extractor
    elif fmt == "doc":
        from .word import extract_doc as extractor
    elif fmt == "xlsx":
        from .spreadsheet import extract_xlsx as extractor
    elif fmt == "csv":
        from .text import extract_csv as extractor
    elif fmt == "txt":
        from .text import extract_txt as extractor
    else:
        raise ExtractionFailure(EXTRACTION_FAILED, f"No extractor for {fmt!r} files.")
    return _without_nul(extractor(request["path"], limits, request["name"]))


def _outcome(request: dict[str, Any], limits: Limits) -> dict[str, Any]:
    try:
        return {"ok": True, **_extract(request, limits)}
    except ExtractionFailure as failure:
        return {"ok": False, "code": failure.code, "message": failure.message}
    except MemoryError:
        return {"ok": False, "code": TOO_COMPLEX,
                "message": f"Reading the document needs more than {limits.memory_mb} MB of "
                           "memory, the most an extraction may use."}
    except RecursionError:
        return {"ok": False, "code": TOO_COMPLEX,
                "message": "The document is nested too deeply to be read."}
    except Exception as exc:  # a hostile file may make any parser raise anything
        reason = f"{type(exc).__name__}: {exc}"[:_MESSAGE_CHARS]
        return {"ok": False, "code": CORRUPT, "message": f"The file can't be read ({reason})."}


def _die_with_parent() -> None:
    """The kernel kills this process when the worker that started it dies (SIGKILL, OOM),
    so no extraction outlives its job. Linux only; elsewhere the CPU limit still ends it."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = os.environ.get(PARENT_ENV, "")
    if parent.isdigit() and os.getppid() != int(parent):
        os._exit(EXIT_ORPHANED)  # the parent died before the line above took effect


def main() -> int:
    _die_with_parent()
    try:
        request = json.loads(sys.stdin.read())
        limits = Limits(**request["limits"])
    except (ValueError, KeyError, TypeError):
        return EXIT_BAD_REQUEST
    _limit_self(limits)
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    outcome = _outcome(request, limits)
    try:
        with open(request["output"], "w", encoding="utf-8") as handle:
            json.dump(outcome, handle, ensure_ascii=False, allow_nan=False)
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except (OSError, ValueError) as exc:
        with open(request["output"], "w", encoding="utf-8") as handle:
            json.dump({"ok": False, "code": TOO_COMPLEX,
                       "message": f"The extracted content can't be kept ({exc})."[:_MESSAGE_CHARS]},
                      handle)
    return 0


if __name__ == "__main__":
    os.umask(0o077)
    sys.exit(main())
