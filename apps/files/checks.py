"""System checks: settings the files app reads, checked at start-up."""

from __future__ import annotations

import shutil

from django.conf import settings
from django.core.checks import Tags, Warning, register

from .formats import FORMATS


@register(Tags.compatibility)
def allowed_extensions_check(app_configs, **kwargs):
    """An extension the platform can't verify is refused at upload; say so at start."""
    unknown = [ext for ext in settings.ALLOWED_EXTENSIONS if ext not in FORMATS]
    if not unknown:
        return []
    return [Warning(
        f"ALLOWED_EXTENSIONS lists {', '.join(unknown)}, which the files app cannot verify; "
        "uploads of these types are refused.",
        hint=f"Supported: {', '.join(FORMATS)}.", id="files.W001")]


@register(Tags.compatibility)
def legacy_word_tool_check(app_configs, **kwargs):
    if "doc" not in settings.ALLOWED_EXTENSIONS:
        return []
    if shutil.which("antiword") or shutil.which("catdoc"):
        return []
    return [Warning(
        "ALLOWED_EXTENSIONS allows .doc but neither antiword nor catdoc is installed; "
        ".doc uploads will end `failed` with ERROR_FILE_FORMAT_UNSUPPORTED.",
        hint="apt-get install antiword", id="files.W002")]
