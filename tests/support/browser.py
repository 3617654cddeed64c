"""Driving Debian's Chromium with Playwright: launch flags, a watch on what a page did, and screenshots.

Playwright never downloads a browser here; it drives /usr/bin/chromium (`.ci/run` installs it from Debian's
packages). Screenshots go under test-artifacts/ (gitignored) so a failed CI run can be looked at.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
"""Without the background-networking flags Chromium keeps trying to reach Google's hosts on this closed network."""


class Watch:
    """What a page did that a test must know about: dialogs opened, script errors, CSP refusals."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda message: self.console.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def shot(page: Any, folder: str, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/<folder>/<name> and return its path."""
    target = ARTIFACTS / folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    return target


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """Launch headless Debian Chromium through Playwright; close it on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
