"""Tool implementations, registered in the one registry of apps.core.tools."""

from . import airtable, files, platform  # noqa: F401
