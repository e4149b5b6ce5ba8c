"""Reading settings from the environment.

django-environ does the parsing; this module adds the checks whose failure
must stop the process at start-up with one line that names the variable.
"""

from __future__ import annotations

import json
import re
import sys

import environ

env = environ.Env()

_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")


class SettingError(Exception):
    """A variable of the environment holds a value the platform cannot use."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


def fail(error: SettingError) -> None:
    """Stop start-up with the one line an operator needs, not a traceback."""
    sys.stderr.write(f"Configuration error: {error}\n")
    raise SystemExit(2)


def extension_list(name: str, default: list[str]) -> list[str]:
    """A list of file extensions: `pdf,doc,docx` or a JSON list `["pdf","doc"]`.

    Dots and case are forgiven (`.PDF` is `pdf`); anything that is not a plain
    extension is refused, so a typo can't silently allow every file.
    """
    raw = env.str(name, default="").strip()
    if not raw:
        return list(default)
    if raw.startswith("["):
        try:
            items = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SettingError(name, f"not a valid JSON list ({exc.msg})") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise SettingError(name, "a JSON value must be a list of strings")
    else:
        items = raw.split(",")
    result: list[str] = []
    for item in items:
        ext = item.strip().lower().lstrip(".")
        if not _EXTENSION.match(ext):
            raise SettingError(
                name,
                f"{item.strip()!r} is not a file extension; "
                'use a comma-separated list such as "pdf,doc,docx,txt,csv,xlsx"',
            )
        if ext not in result:
            result.append(ext)
    return result


def positive_int(name: str, default: int) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(name, f"{raw!r} is not a whole number") from None
    if value <= 0:
        raise SettingError(name, f"must be above zero, got {value}")
    return value


def url(name: str, default: str) -> str:
    value = env.str(name, default=default).strip()
    if "://" not in value:
        raise SettingError(name, f"{value!r} is not a URL (expected scheme://...)")
    return value
