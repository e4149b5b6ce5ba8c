"""What the browser tests share: ORM work beside Playwright, screenshots at both widths."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"
WIDTHS = (1366, 390)


def in_thread(blocker, work):
    """Run ORM work beside Playwright's event loop (Django refuses it inside one)."""

    def run():
        from django.db import connection

        try:
            return work()
        finally:
            connection.close()

    with blocker.unblock(), ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def shoot(page, name: str) -> None:
    """Full-page screenshots at 1366 and 390 px; at 390 the top navigation must fit."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if width == 390:
            overflow = page.evaluate("document.querySelector('.topbar').scrollWidth - 390")
            assert overflow <= 0, f"the navigation runs {overflow} px off a 390 px screen"
    page.set_viewport_size({"width": 1366, "height": 900})
