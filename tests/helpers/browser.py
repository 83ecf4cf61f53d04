"""The browser tests' Chromium (Debian's, installed by ``scripts/install-browser.sh``), their screenshots,
and the steps every browser test on the stack takes: a staff account, Chromium launched, a login."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.core.settings import PROJECT_ROOT
from tests.helpers.ready import wait_ready

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
"""Screenshots of the browser tests."""
PASSWORD = "a long test password"
"""The password of the staff accounts the browser tests add."""


def add_staff(env: Mapping[str, str], username: str, name: str, languages: str, *options: str) -> None:
    """Add a staff account with :data:`PASSWORD` to the stack of ``env`` (``python -m bot staff add``).

    ``languages`` like ``"sv,en"``; ``options`` are more arguments of the command (``"--role", "supervisor"``).

    Raises:
        subprocess.CalledProcessError: the command failed (e.g. the username is taken).
    """
    subprocess.run(
        [sys.executable, "-m", "bot", "staff", "add", username, "--name", name, "--languages", languages, *options],
        cwd=PROJECT_ROOT, env=dict(env), input=PASSWORD + "\n", text=True, check=True, capture_output=True,
    )  # fmt: skip


@asynccontextmanager
async def chromium(url: str, ready_timeout: float) -> AsyncIterator[Any]:
    """A headless Chromium (Playwright ``Browser``) once the stack at ``url`` is ready; closed on leaving.

    Raises:
        AssertionError: Chromium is not installed.
        tests.helpers.ready.StackExited, TimeoutError: the stack is not ready (:func:`wait_ready`).
    """
    from playwright.async_api import async_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: run `bash scripts/install-browser.sh` (make test does)"
    await wait_ready(url, ready_timeout)
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


async def staff_login(page: Any, url: str, username: str) -> None:
    """Log ``username`` (password :data:`PASSWORD`) in to the staff console at ``url`` on a Playwright page."""
    await page.goto(f"{url}/staff/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("form.login button[type=submit]")


async def ask_for_a_person(page: Any, url: str, language: str, text: str) -> str:
    """Open the resident chat at ``url`` in ``language``, send ``text`` (a request for a person) and wait
    for the handoff; returns the case's reference number (``SYN-2026-00042``) that the bot gave."""
    from playwright.async_api import expect

    await page.goto(f"{url}/?lang={language}")
    await expect(page.locator("#log li.bot").first).to_be_visible(timeout=30_000)
    await page.fill("#input", text)
    await page.press("#input", "Enter")
    handoff = page.locator("#log li.bot", has_text="SYN-")
    await expect(handoff).to_be_visible(timeout=60_000)
    return re.search(r"SYN-\d{4}-\d{5}", await handoff.inner_text()).group(0)
