"""The staff console's texts, one catalog per language (``bot/locales/staff/<lang>.yml``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from bot.core.catalog import LOCALES_DIR, render_text

STAFF_LOCALES = LOCALES_DIR / "staff"


@lru_cache(maxsize=8)
def staff_texts(language: str) -> dict[str, str]:
    """The staff console's texts in ``language`` (``bot/locales/staff/<language>.yml``).

    Raises:
        FileNotFoundError: no staff catalog for that language.
    """
    data = yaml.safe_load((STAFF_LOCALES / f"{language}.yml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data["text"].items()}


def staff_languages() -> list[str]:
    """Languages the staff console is available in."""
    return sorted(path.stem for path in STAFF_LOCALES.glob("*.yml"))


class Texts:
    """Template helper: ``t.key`` is a text, ``t("key", name=…)`` a text with placeholders filled."""

    def __init__(self, language: str) -> None:
        self._texts = staff_texts(language)
        self.language = language

    def __getattr__(self, key: str) -> str:
        try:
            return self._texts[key]
        except KeyError:
            raise AttributeError(key) from None

    def __call__(self, key: str, **values: Any) -> str:
        """The text ``key`` with ``{placeholders}`` filled from ``values``.

        Plural forms of counts are chosen by the CLDR rules of the console's language (:mod:`bot.core.rendering`).
        """
        return render_text(self._texts[key], values, language=self.language)

    def has(self, key: str) -> bool:
        """True when the catalog has ``key``."""
        return key in self._texts


@lru_cache(maxsize=8)
def staff_phrasebook(language: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The phrasebook's buttons in the console's ``language``: ``((group title, ((key, label), …)), …)``.

    Labels are what the case officer reads (issue 17); the resident gets the phrase ``key`` from their
    own catalog. Raises:
        FileNotFoundError: no staff catalog for that language.
    """
    data = yaml.safe_load((STAFF_LOCALES / f"{language}.yml").read_text(encoding="utf-8"))
    return tuple(
        (str(group["title"]), tuple((str(k), str(v)) for k, v in group["phrases"].items()))
        for group in (data.get("phrasebook") or {}).values()
    )


def phrase_label(language: str, key: str) -> str | None:
    """The console's label of the phrase ``key`` (``None`` when the phrasebook has no such phrase)."""
    return next((label for _, phrases in staff_phrasebook(language) for k, label in phrases if k == key), None)
