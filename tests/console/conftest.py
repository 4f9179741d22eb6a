"""The console's browser: Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support import LiveServer

from .support import Browsers

HINT = "install Debian's chromium: apt-get install chromium"


def chromium_path() -> str | None:
    """AIRLOCK_CHROMIUM, /usr/bin/chromium, or chromium on PATH."""
    for candidate in (os.environ.get("AIRLOCK_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The browser the console's tests drive; a missing one fails them, with what to do."""
    found = chromium_path()
    if found is None:
        pytest.fail(f"No Chromium for the console's browser tests: {HINT}", pytrace=False)
    return found


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, once per test module: while it runs, its event loop counts as
    running in the main thread, so any other test that calls asyncio.run there would fail."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium_executable: str) -> Iterator[Browser]:
    """One headless Chromium for the module's browser tests (each gets its own context)."""
    launched = playwright.chromium.launch(
        executable_path=chromium_executable, args=["--no-sandbox"], headless=True
    )
    yield launched
    launched.close()


@pytest.fixture
def browsers(server: LiveServer) -> Iterator[Browsers]:
    """Plain HTTP clients of the server (for what needs no page to be drawn)."""
    opened = Browsers(server)
    yield opened
    opened.close()
