"""The plain-language gate: readability figures for every catalog text.

Språklagen (2009:600) 11 § requires public-sector language to be "vårdat, enkelt och begripligt".
We measure it with LIX (läsbarhetsindex, Björnsson 1968: words per sentence + percentage of words
longer than six letters) for Swedish, average sentence length in every language, and a list of
Swedish officialese (``bot/locales/jargon-sv.txt``). Texts are measured as residents see them:
placeholders filled from the example profile, web addresses and e-mail addresses left out.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from bot.core.catalog import LOCALES_DIR, Catalogs, render_text
from bot.core.profile import Profile

MAX_LIX = 40
MAX_MEDIAN_LIX = 30
MAX_AVERAGE_SENTENCE_WORDS = 15

_ADDRESS = re.compile(r"(https?://\S+|\S+@\S+)")
_SENTENCE_END = re.compile(r"[.!?؟።።\n]+")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)


@dataclass(frozen=True)
class TextFigures:
    """Readability of one text: ``words``, ``sentences``, ``long_words`` (> 6 letters), ``lix``."""

    key: str
    words: int
    sentences: int
    long_words: int

    @property
    def lix(self) -> float:
        """LIX = words / sentences + 100 × long words / words (0 for an empty text)."""
        if not self.words:
            return 0.0
        return self.words / max(self.sentences, 1) + 100 * self.long_words / self.words


def measure(key: str, text: str) -> TextFigures:
    """Readability figures of ``text`` (web and e-mail addresses are not counted as words)."""
    cleaned = _ADDRESS.sub(" ", text)
    sentences = [s for s in _SENTENCE_END.split(cleaned) if _WORD.search(s)]
    words = _WORD.findall(cleaned)
    return TextFigures(key, len(words), len(sentences), sum(1 for w in words if len(w) > 6))


def jargon_stems(path: Path = LOCALES_DIR / "jargon-sv.txt") -> list[str]:
    """Lower-case word stems of Swedish officialese."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip().lower() for line in lines if line.strip() and not line.startswith("#")]


ACTION_SAMPLES = {
    "reference": "SYN-2026-00042",
    "check_code": "K7PQ-4XZ9",
    "acknowledgement_due": "25",
    "reply_due": "4",
    "max_chars": "2000",
    "min_chars": "10",
    "department": "Gator och parker",
    "summary": "Typ: beröm",
    "receipt_email": "anna@example.se",
    "status": "mottaget",
    "minutes": "15",
    "position": "2",
    "wait_minutes": "10",
    "name": "Anna Berg",
    "understood": "klagomål, Avfall och återvinning",
    "language": "turkiska",
    "languages": "Svenska, English, العربية, فارسی, Soomaali, ትግርኛ, Polski, Українська, Suomi",
    "interpreter": "turkiska",
    "area_name": "Avfall och återvinning",
    "channel": "telefon",
    "contact": "+46 70 123 45 67",
    "link": "https://kommun.example.se/staff/cases/SYN-2026-00042",
}
"""Sample values of the placeholders that actions fill (every such placeholder must be listed here)."""


def catalog_texts(catalogs: Catalogs, profile: Profile, language: str) -> dict[str, str]:
    """Every response and system text of a language, as residents see it (placeholders filled)."""
    values = {**catalogs.profile_values(profile, language), **ACTION_SAMPLES}
    cat = catalogs.get(language)
    texts = {name: render_text(entry["text"], values, language=language) for name, entry in cat.responses.items()}
    texts.update({f"system.{key}": render_text(text, values, language=language) for key, text in cat.system.items()})
    return texts


@dataclass(frozen=True)
class LanguageReport:
    """Gate result of one language: figures per text and what failed (empty when it passes)."""

    language: str
    figures: list[TextFigures]
    failures: list[str]

    @property
    def average_sentence_words(self) -> float:
        """Words per sentence over all texts of the language."""
        words = sum(f.words for f in self.figures)
        sentences = sum(max(f.sentences, 1) for f in self.figures if f.words)
        return words / max(sentences, 1)


def check_language(catalogs: Catalogs, profile: Profile, language: str) -> LanguageReport:
    """Apply the gate to one language (LIX and jargon only for Swedish)."""
    texts = catalog_texts(catalogs, profile, language)
    figures = [measure(key, text) for key, text in texts.items()]
    failures: list[str] = []
    report = LanguageReport(language, figures, failures)
    if report.average_sentence_words > MAX_AVERAGE_SENTENCE_WORDS:
        failures.append(f"average sentence length {report.average_sentence_words:.1f} > {MAX_AVERAGE_SENTENCE_WORDS}")
    if language == "sv":
        for f in figures:
            if f.lix > MAX_LIX:
                failures.append(f"{f.key}: LIX {f.lix:.0f} > {MAX_LIX}")
        median = statistics.median(f.lix for f in figures if f.words)
        if median > MAX_MEDIAN_LIX:
            failures.append(f"median LIX {median:.0f} > {MAX_MEDIAN_LIX}")
        stems = jargon_stems()
        for key, text in texts.items():
            for word in _WORD.findall(text.lower()):
                if any(word.startswith(stem) for stem in stems):
                    failures.append(f"{key}: officialese '{word}'")
    return report


def gate(catalogs: Catalogs, profile: Profile) -> tuple[str, bool]:
    """The printed table of every language and whether all pass."""
    lines = [f"{'lang':<5} {'texts':>5} {'words/sentence':>14} {'LIX median':>10} {'LIX max':>8}  result"]
    ok = True
    for language in catalogs.languages:
        report = check_language(catalogs, profile, language)
        lix = [f.lix for f in report.figures if f.words]
        result = "ok" if not report.failures else "FAIL: " + "; ".join(report.failures)
        ok = ok and not report.failures
        lines.append(
            f"{language:<5} {len(report.figures):>5} {report.average_sentence_words:>14.1f} "
            f"{statistics.median(lix):>10.0f} {max(lix):>8.0f}  {result}"
        )
    lines.append("(LIX and the officialese list are checked for Swedish; LIX of other languages is shown only.)")
    return "\n".join(lines), ok
