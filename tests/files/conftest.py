from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def storage(settings, tmp_path) -> Path:
    """Every test stores blobs in its own directory, so it sees exactly what was kept."""
    root = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(root)}}}
    return root


@pytest.fixture
def alpha(team_a, client_for):
    """The API as alpha's owner sees it."""
    return client_for(jwt=team_a.jwt())
