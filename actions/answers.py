"""What residents type for the forms' choices, per language, and reading it out of whole sentences.

The words come from ``actions/lexicon/<lang>.yml`` (kinds of feedback, yes and no, "anonymous",
"I don't know", send/change/cancel, e-mail/phone; language data, never shown to a resident) and, for
departments, from their names and ``keywords`` in the municipality profile, so that a municipality
can add its own words. A typed answer is read in the conversation's language and in Swedish and
English, which residents mix in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from actions.fields import find_choice, match_choice
from bot.core.profile import Profile

LEXICON_DIR = Path(__file__).with_name("lexicon")

WORD_GROUPS = (
    "yes",
    "no",
    "anonymous",
    "named",
    "dont_know",
    "today",
    "send",
    "change",
    "cancel",
    "email",
    "phone",
    "complain_wish",
    "crisis",
    "harm",
)
"""Flat word lists of a lexicon (besides ``kind``: complaint, fault report, suggestion, praise)."""


class LexiconError(ValueError):
    """A lexicon file is missing a group or has one of the wrong shape."""


@dataclass(frozen=True)
class Lexicon:
    """The words residents type in one language.

    ``kinds`` maps a kind code (``complaint`` …) to its words; ``words`` maps each of
    :data:`WORD_GROUPS` to its words; ``clitics`` are short words glued to the front of others
    (Arabic ``و``, ``ب``, ``ال``), tried without when matching.
    """

    language: str
    kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    clitics: tuple[str, ...] = ()


def _word_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(word, str) and word.strip() for word in value):
        raise LexiconError(f"{where}: a list of words is needed")
    return tuple(value)


def read_lexicon(path: Path) -> Lexicon:
    """Parse one ``<lang>.yml`` lexicon file.

    Raises:
        LexiconError: a group of :data:`WORD_GROUPS` or ``kind`` is missing or not a list of words.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    where = path.name
    kinds = data.get("kind")
    if not isinstance(kinds, dict):
        raise LexiconError(f"{where}: 'kind' must map each kind to its words")
    return Lexicon(
        language=str(data.get("language") or path.stem),
        kinds={str(kind): _word_list(words, f"{where}: kind.{kind}") for kind, words in kinds.items()},
        words={group: _word_list(data.get(group), f"{where}: {group}") for group in WORD_GROUPS},
        clitics=tuple(data.get("clitics") or ()),
    )


@cache
def lexicon(language: str) -> Lexicon:
    """The lexicon of ``language`` (an empty one for a language without a file)."""
    path = LEXICON_DIR / f"{language}.yml"
    return read_lexicon(path) if path.exists() else Lexicon(language=language)


def typed_languages(language: str | None) -> list[str]:
    """``language`` (the conversation's, if known), then Swedish and English: what a typed message may be in."""
    return list(dict.fromkeys(code for code in (language, "sv", "en") if code))


def clitics(languages: Iterable[str]) -> list[str]:
    """The clitics of ``languages``' lexicons (prefixes tried without when matching words)."""
    return [clitic for language in languages for clitic in lexicon(language).clitics]


def read_choice(text: str, options: Mapping[str, Iterable[str]], languages: Iterable[str]) -> str | None:
    """The option a typed answer means, else ``None``.

    A whole button title or number, else the option whose word comes first in the sentence
    (:func:`find_choice`: "jag vill klaga på att soptunnan inte tömts" is a complaint, although the
    fault report's label "inte tömts" is in it too), else the start of a title ("felanm", :func:`match_choice`).
    """
    options = {code: list(words) for code, words in options.items()}
    return (
        match_choice(text, options, partial=False)
        or find_choice(text, options, clitics(languages))
        or match_choice(text, options)
    )


def kind_words(languages: Iterable[str]) -> dict[str, list[str]]:
    """Kind code → the words for it in ``languages``."""
    found: dict[str, list[str]] = {}
    for language in languages:
        for kind, words in lexicon(language).kinds.items():
            found.setdefault(kind, []).extend(words)
    return found


def area_words(profile: Profile, languages: Iterable[str]) -> dict[str, list[str]]:
    """Department id → its names and keywords (profile) in ``languages``."""
    languages = list(languages)
    return {
        dep.id: [
            *(dep.display_name(language) for language in languages),
            *(word for language in languages for word in dep.keywords.get(language, ())),
        ]
        for dep in profile.departments
    }


def group_words(group: str, languages: Iterable[str]) -> list[str]:
    """The words of one of :data:`WORD_GROUPS` in ``languages``."""
    return [word for language in languages for word in lexicon(language).words.get(group, ())]


def says_crisis(text: str, language: str | None) -> bool:
    """True when ``text`` has a phrase of the lexicon's ``crisis`` group ("I want to end my life").

    Phrases of ``language`` (the conversation's), Swedish and English, found anywhere in the message;
    matched exactly, without the one typo allowed elsewhere (Finnish "haluan kuolla", I want to die, matched
    "haluan kuulla", I want to hear). The triage's safety net (``bot/triage.py``) and the forms' test of
    whether an alarm wins over an answer both use it.
    """
    return _has_word_of("crisis", text, language, typos=False)


def says_harm(text: str, language: str | None) -> bool:
    """True when ``text`` has a word of the lexicon's ``harm`` group ("hit", "not fed", "locked in").

    Words of real harm or danger to a person, in ``language`` (the conversation's), Swedish and English; one
    typo allowed in words of 6+ letters (the lists were screened against common words for such near matches).
    """
    return _has_word_of("harm", text, language, typos=True)


def _has_word_of(group: str, text: str, language: str | None, typos: bool) -> bool:
    languages = typed_languages(language)
    return find_choice(text, {group: group_words(group, languages)}, clitics(languages), typos) is not None
