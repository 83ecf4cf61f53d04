"""Which catalog response (or gateway system message) a bot message is, and the buttons a response has."""

from __future__ import annotations

import re
import string

from bot.core.catalog import Catalogs, render_text
from bot.core.profile import Profile

ISOLATES = {code: None for code in range(0x2066, 0x206A)}
"""Unicode bidi isolate marks (LRI, RLI, FSI, PDI), dropped before matching a message to its catalog text."""


def _template_pattern(template: str) -> tuple[int, re.Pattern[str]]:
    """A catalog text as a regular expression (placeholders match anything) and its count of literal characters."""
    parts, literal = [], 0
    for text, field_name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(text))
        literal += len(text.strip())
        if field_name is not None:
            parts.append("(.*?)")
    return literal, re.compile("".join(parts), re.DOTALL)


class ResponseMatcher:
    """Tells which catalog response (or gateway system message, ``system:<key>``) a bot message is.

    The stack's messages are rendered catalog texts; bare Rasa answers with the response's name
    itself (``domain.yml`` holds only names), which is returned as it is.
    """

    def __init__(self, catalogs: Catalogs) -> None:
        self._names: set[str] = set()
        self._patterns: dict[str, list[tuple[int, re.Pattern[str], str]]] = {}
        for code in catalogs.languages:
            cat = catalogs.get(code)
            entries = [(name, str(entry.get("text") or "")) for name, entry in cat.responses.items()]
            entries += [(f"system:{key}", str(text)) for key, text in cat.system.items()]
            patterns = []
            for name, text in entries:
                self._names.add(name)
                literal, pattern = _template_pattern(text)
                if literal >= 3:
                    patterns.append((literal, pattern, name))
            patterns.sort(key=lambda item: -item[0])
            self._patterns[code] = patterns

    def name(self, text: str, language: str | None = None) -> str:
        """The response name of a message text (its own language first), or ``""`` when none fits."""
        text = (text or "").translate(ISOLATES)  # the renderer isolates values and numbers in ar/fa (issue 16)
        if text in self._names:
            return text
        order = [language] if language in self._patterns else []
        order += [code for code in self._patterns if code != language]
        for code in order:
            for _, pattern, name in self._patterns[code]:
                if pattern.fullmatch(text):
                    return name
        return ""


def catalog_buttons(catalogs: Catalogs, profile: Profile, name: str, language: str) -> list[dict[str, str]]:
    """The buttons the catalog gives response ``name`` in ``language`` (bare Rasa sends none itself)."""
    try:
        entry = catalogs.get(language).responses.get(name) or {}
    except KeyError:
        return []
    buttons = entry.get("buttons")
    if buttons == "areas":
        return catalogs.area_buttons(profile, language)
    if buttons == "languages":
        return catalogs.language_buttons()
    return [{"title": render_text(b["title"], {}), "payload": b["payload"]} for b in buttons or []]
