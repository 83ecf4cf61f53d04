"""``python -m bot bench-langid``: accuracy of :mod:`bot.langid` per language and kind of text.

Data: the public single-word, word-pair and sentence lists in ``../shared/data/langid/`` (from the
Lingua project's test data; bs and tr are unsupported languages there, reported as "wrongly
confident"), and the held-out chat messages of ``tests/nlu/<lang>.yml`` split into messages of one
or two words and of three or more in the language's own script, and messages of Arabic, Persian,
Tigrinya or Ukrainian written in Latin letters ("chat translit.", reported without a target: no
detector we can ship knows Finglish or Latin Tigrinya). Targets (issue "Multilingual"): ≥ 98 % on
chat messages of three or more words, ≥ 90 % on single words. Columns ``langdetect`` and ``lingua`` show each detector
alone on the same candidates, which is why both are used. Column ``foreign`` is the share that would get the
interpreter answer (:func:`bot.langid.foreign_language`, the first-message rule); it counts as wrong.

Languages we do not speak (``tests/langid/foreign.yml``, issue 15): per language the share *not claimed*
as a supported language (answered with the interpreter offer; target ≥ 90 % overall) and the share whose
language is named right (Bosnian, Croatian and Serbian count as one).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core import langid
from bot.core.foreign import interpreter_languages
from tools.bench.nlu import labelled_examples

TARGETS = {"chat 3+ words": 0.98, "single-words": 0.90}
FOREIGN_TARGET = 0.90
"""Share of messages in languages we do not speak that must not be claimed as a supported language."""


@dataclass
class Row:
    """Figures of one (kind, language) sample."""

    kind: str
    language: str
    n: int
    accuracy: float
    confident_wrong: float
    asked: float
    langdetect: float
    lingua: float
    foreign: float = 0.0

    @property
    def target(self) -> float | None:
        """The target accuracy for this kind, if any."""
        return TARGETS.get(self.kind) if self.language in langid.SUPPORTED else None


LANGUAGE_NEUTRAL_INTENTS = ("inform",)
"""Held-out intents left out of the language-detection sets: typed form answers (dates, addresses with
Swedish street names, names, e-mail addresses, phone numbers) carry little or no language of their own,
and the gateway does not use detection on them (they answer a question in the conversation's language)."""


def chat_messages(tests_dir: Path) -> dict[str, list[str]]:
    """Held-out NLU test messages per language (entity annotations removed), without typed form answers."""
    return {
        path.stem: [text for text, label in labelled_examples(path) if label not in LANGUAGE_NEUTRAL_INTENTS]
        for path in sorted((tests_dir / "nlu").glob("*.yml"))
    }


NON_LATIN_LANGUAGES = ("ar", "fa", "ti", "uk")


def transliterated(text: str, language: str) -> bool:
    """True for a message in Latin letters in a language with its own script (Arabizi, Finglish, …)."""
    counts = langid.script_counts(text)
    return language in NON_LATIN_LANGUAGES and bool(counts) and max(counts, key=counts.get) == "latin"


def _candidates_for(text: str) -> tuple[str, ...]:
    counts = langid.script_counts(text)
    script = max(counts, key=counts.get) if counts else "latin"
    return {"arabic": ("ar", "fa"), "latin": langid.LATIN}.get(script, langid.SUPPORTED)


def _single_detector(text: str, which: str) -> str | None:
    candidates = _candidates_for(text)
    if len(candidates) == len(langid.SUPPORTED):
        return langid.detect(text).language  # script rules decide; both detectors would agree
    if which == "langdetect":
        return langid._langdetect(text, candidates)[0]
    return langid._lingua_best(text, candidates)[0]


def evaluate(kind: str, language: str, texts: list[str]) -> Row:
    """Detect every text and compare with ``language``."""
    detections = [langid.detect(t) for t in texts]
    foreign = [langid.foreign_language(t) is not None for t in texts]
    n = max(len(texts), 1)
    correct = sum(d.language == language and not f for d, f in zip(detections, foreign, strict=True))
    return Row(
        kind=kind,
        language=language,
        n=len(texts),
        accuracy=correct / n,
        confident_wrong=sum(d.confident and d.language != language for d in detections) / n,
        asked=sum(not d.confident for d in detections) / n,
        langdetect=sum(_single_detector(t, "langdetect") == language for t in texts) / n,
        lingua=sum(_single_detector(t, "lingua") == language for t in texts) / n,
        foreign=sum(foreign) / n,
    )


def run(shared_dir: Path, tests_dir: Path) -> list[Row]:
    """Evaluate every available sample.

    Raises:
        FileNotFoundError: ``shared_dir`` does not exist.
    """
    if not shared_dir.is_dir():
        raise FileNotFoundError(f"language-identification data not found at {shared_dir}")
    rows = []
    for kind in ("single-words", "word-pairs", "sentences"):
        for path in sorted((shared_dir / kind).glob("*.txt")):
            texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            rows.append(evaluate(kind, path.stem, texts))
    for language, messages in chat_messages(tests_dir).items():
        native = [m for m in messages if not transliterated(m, language)]
        latin = [m for m in messages if transliterated(m, language)]
        rows.append(evaluate("chat 1-2 words", language, [m for m in native if len(m.split()) < 3]))
        rows.append(evaluate("chat 3+ words", language, [m for m in native if len(m.split()) >= 3]))
        if latin:
            rows.append(evaluate("chat translit.", language, latin))
    return rows


def table(rows: list[Row]) -> str:
    """Rows as a printed table, with the target verdict where a target applies."""
    head = (
        f"{'kind':<15} {'lang':<4} {'n':>5} {'accuracy':>8} {'conf.wrong':>10} {'asked':>6} "
        f"{'langdetect':>10} {'lingua':>7} {'foreign':>7}  target"
    )
    lines = [head]
    for r in rows:
        if r.language not in langid.SUPPORTED:
            verdict = "(unsupported language: conf.wrong is the share wrongly claimed)"
        elif r.target is None:
            verdict = ""
        else:
            verdict = f"≥ {r.target:.0%} {'ok' if r.accuracy >= r.target else 'MISSED'}"
        lines.append(
            f"{r.kind:<15} {r.language:<4} {r.n:>5} {r.accuracy:>8.1%} {r.confident_wrong:>10.1%} {r.asked:>6.1%} "
            f"{r.langdetect:>10.1%} {r.lingua:>7.1%} {r.foreign:>7.1%}  {verdict}"
        )
    return "\n".join(lines)


@dataclass
class ForeignRow:
    """Figures of the messages in one language we do not speak."""

    language: str
    n: int
    not_claimed: float
    named: float


def foreign_samples(tests_dir: Path) -> dict[str, list[str]]:
    """``tests/langid/foreign.yml``: language code → messages in it (empty when the file is missing)."""
    path = tests_dir / "langid" / "foreign.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def run_foreign(tests_dir: Path) -> list[ForeignRow]:
    """How the first-message rule (:func:`bot.langid.decide`) treats each foreign sample."""
    rows = []
    for language, texts in foreign_samples(tests_dir).items():
        decisions = [langid.decide(t, "sv") for t in texts]
        foreign = [code for verdict, code in decisions if verdict == "foreign"]
        n = max(len(texts), 1)
        named = sum(language in interpreter_languages(code) for code in foreign)
        rows.append(ForeignRow(language, len(texts), len(foreign) / n, named / n))
    return rows


def foreign_table(rows: list[ForeignRow]) -> str:
    """Foreign rows as a printed table with the overall share not claimed and its verdict."""
    lines = [f"{'foreign':<8} {'n':>4} {'not claimed':>11} {'named right':>11}"]
    lines += [f"{r.language:<8} {r.n:>4} {r.not_claimed:>11.1%} {r.named:>11.1%}" for r in rows]
    total = sum(r.n for r in rows)
    share = sum(r.not_claimed * r.n for r in rows) / max(total, 1)
    verdict = "ok" if share >= FOREIGN_TARGET else "MISSED"
    lines.append(f"{'all':<8} {total:>4} {share:>11.1%} {'':>11}  target ≥ {FOREIGN_TARGET:.0%} {verdict}")
    return "\n".join(lines)


def main(shared_dir: Path, tests_dir: Path) -> int:
    """Print the table and the speed; exit 1 when a target is missed."""
    started = time.perf_counter()
    rows = run(shared_dir, tests_dir)
    print(table(rows))
    foreign = run_foreign(tests_dir)
    print("\n" + foreign_table(foreign))
    elapsed = time.perf_counter() - started
    texts = sum(r.n for r in rows) + sum(r.n for r in foreign)
    print(f"\n{texts} texts, {elapsed:.1f} s with three detectors per text (threshold {langid.CONFIDENCE_THRESHOLD})")
    missed = [r for r in rows if r.target is not None and r.accuracy < r.target]
    not_claimed = sum(r.not_claimed * r.n for r in foreign) / max(sum(r.n for r in foreign), 1)
    return 1 if missed or (foreign and not_claimed < FOREIGN_TARGET) else 0
