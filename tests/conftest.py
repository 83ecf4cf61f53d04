"""Shared by every test: the example profile, the catalogs, and the ``stack`` marker by folder.

The tests are grouped by what they need (README, Tests): ``unit/`` nothing but the code, ``app/`` the web
app, the stores on SQLite and PostgreSQL, ``stack/`` and ``dialogue/`` the whole stack or the trained
model. The folders under :data:`SLOW` are marked ``stack`` here, and only they: ``pytest -m "not stack"``
(``make test-fast``) runs the others.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.catalog import Catalogs
from bot.core.profile import Profile, load_profile
from bot.core.settings import PROJECT_ROOT

SLOW = (PROJECT_ROOT / "tests" / "stack", PROJECT_ROOT / "tests" / "dialogue")
"""The folders whose tests start the whole stack or load the trained model."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under :data:`SLOW` ``stack``; a ``stack`` mark anywhere else is a mistake."""
    for item in items:
        slow = any(Path(item.path).is_relative_to(folder) for folder in SLOW)
        if slow:
            item.add_marker(pytest.mark.stack)
        elif item.get_closest_marker("stack"):
            raise pytest.UsageError(f"{item.nodeid} is marked stack but is not under tests/stack or tests/dialogue")


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile(PROJECT_ROOT / "profiles" / "example.yml")


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs()
