"""The browser tests' Chromium (Debian's, installed by ``scripts/install-browser.sh``) and their screenshots."""

from __future__ import annotations

import shutil

from bot.core.settings import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
"""Screenshots of the browser tests."""
