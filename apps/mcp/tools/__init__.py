"""Tool implementations, registered in the one registry of apps.core.tools."""

from . import platform  # noqa: F401
