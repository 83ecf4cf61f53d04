"""Language identification of residents' messages, restricted to the supported languages.

Pipeline (same input, same answer, always):

1. **Script rules** decide what statistics cannot: Ge'ez script is Tigrinya (the only supported
   language written in it); Latin words with digits as letters ("ma3", "7a2i2i") are Arabic chat
   alphabet; in Arabic script, letters only Persian uses (پ چ ژ گ and Persian ی/ک)
   or only Arabic uses (ة ى ي ك أ إ ؤ) separate Persian from Arabic; Cyrillic is Ukrainian (і ї є ґ
   confirm it; Russian-only letters ы э ъ ё lower the confidence, since we do not answer in Russian).
2. **langdetect** (seeded, ``DetectorFactory.seed = 0``) and **Lingua** (``lingua-language-detector``,
   models inside the package), both restricted to the candidates the script allows. Lingua decides:
   on every sample we measured it is as good or better, far better on one- and two-word messages,
   where langdetect is often confidently wrong (``python -m bot bench-langid`` prints the figures).
   langdetect agreeing raises the confidence.

Swedish municipal terms (``bot/locales/swedish-terms.txt``) are left out first, so "förskola boos
sidee loo helaa" stays Somali and "hemtjänst для бабусі" Ukrainian.

A result below :data:`CONFIDENCE_THRESHOLD` means "ask the resident" rather than guess.

Languages we do not speak (:mod:`bot.core.foreign`) are recognised by :func:`foreign_language` on
messages long enough to tell: the gateway then offers an interpreter instead of answering in the
nearest supported language (:func:`decide`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from bot.core.catalog import LOCALES_DIR, default_catalogs
from bot.core.foreign import FOREIGN, LINGUA_FOREIGN, interpreter_languages, rule_language

LATIN = ("sv", "en", "so", "pl", "fi")
"""The supported languages written in Latin letters (the candidates of a Latin-script message)."""
CONFIDENCE_THRESHOLD = 0.7
"""Below this the gateway asks which language to use instead of switching."""

_PERSIAN_ONLY = set("پچژگیک")  # U+067E U+0686 U+0698 U+06AF U+06CC U+06A9
_ARABIC_ONLY = set("ةىيكأإؤ")  # U+0629 U+0649 U+064A U+0643 U+0623 U+0625 U+0624
_UKRAINIAN_ONLY = set("іїєґ")
_RUSSIAN_ONLY = set("ыэъё")
_ARABIZI = re.compile(r"(?i)\b[a-z]*[a-z][2379][a-z0-9]*\b|\b[2379][a-z]{2,}\b")
"""Arabic chat alphabet: digits as letters (3 = ع, 7 = ح, 2 = ء, 9 = ق/ص) inside Latin words."""
_ADDRESSES = re.compile(r"https?://\S+|\S+@\S+|\b[A-Z]{2,5}-\d{4}-\d+\b")
_NOISE = re.compile(_ADDRESSES.pattern + r"|[\d_]+")
NON_LATIN_SHARE = 0.25
"""A message with at least this share of Ethiopic, Arabic or Cyrillic letters is in that script's
language, even when Swedish words ("bygglov", "hemtjänst") make up the rest."""

DetectorFactory.seed = 0

SWEDISH_TERMS_FILE = LOCALES_DIR / "swedish-terms.txt"


@lru_cache(maxsize=1)
def swedish_term_stems() -> tuple[str, ...]:
    """Stems of Swedish municipal words that residents mix into other languages."""
    lines = SWEDISH_TERMS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def without_swedish_terms(text: str) -> str:
    """``text`` without Swedish municipal terms, unless nothing with letters would be left."""
    stems = swedish_term_stems()
    kept = [w for w in text.split() if not w.lower().strip(".,!?;:()\"'").startswith(stems)]
    rest = " ".join(kept)
    return rest if any(c.isalpha() for c in rest) else text


@dataclass(frozen=True)
class Detection:
    """A detected language (``None``: no letters at all) and a confidence in [0, 1].

    ``scores`` gives every candidate's confidence where the detector computed them (Lingua), else
    only the winner's.
    """

    language: str | None
    confidence: float
    method: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    disagreeing: str | None = None
    """The language langdetect picked when Lingua decided against it (method ``lingua``)."""

    def __post_init__(self) -> None:
        # Lingua's sums differ in the last bit from run to run; four decimals make answers repeatable.
        object.__setattr__(self, "confidence", round(self.confidence, 4))
        object.__setattr__(self, "scores", {k: round(v, 4) for k, v in self.scores.items()})

    def score(self, language: str) -> float:
        """The confidence that the text is in ``language`` (0 when it was not a candidate)."""
        if language == self.language:
            return self.confidence
        return self.scores.get(language, 0.0)

    @property
    def confident(self) -> bool:
        """True when the confidence reaches :data:`CONFIDENCE_THRESHOLD`."""
        return self.language is not None and self.confidence >= CONFIDENCE_THRESHOLD


def _script(char: str) -> str:
    code = ord(char)
    if 0x1200 <= code <= 0x139F or 0x2D80 <= code <= 0x2DDF or 0xAB00 <= code <= 0xAB2F:
        return "ethiopic"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "arabic"
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if char.isascii() or unicodedata.name(char, "").startswith("LATIN"):
        return "latin"
    return "other"


def script_counts(text: str) -> dict[str, int]:
    """Letters of ``text`` per script (``ethiopic``, ``arabic``, ``cyrillic``, ``latin``, ``other``)."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            script = _script(char)
            counts[script] = counts.get(script, 0) + 1
    return counts


def _langdetect(text: str, candidates: tuple[str, ...]) -> tuple[str | None, float]:
    try:
        ranked = detect_langs(text)
    except LangDetectException:
        return None, 0.0
    best = max((r for r in ranked if r.lang in candidates), key=lambda r: r.prob, default=None)
    return (best.lang, float(best.prob)) if best else (None, 0.0)


@lru_cache(maxsize=4)
def _lingua(candidates: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    languages = [getattr(IsoCode639_1, code.upper()) for code in candidates]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*languages).with_preloaded_language_models().build()


def _lingua_scores(text: str, candidates: tuple[str, ...]) -> dict[str, float]:
    values = _lingua(candidates).compute_language_confidence_values(text)
    return {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values}


def _lingua_best(text: str, candidates: tuple[str, ...]) -> tuple[str | None, float]:
    scores = _lingua_scores(text, candidates)
    if not scores:
        return None, 0.0
    best = max(scores, key=scores.get)
    return best, scores[best]


def _statistical(text: str, candidates: tuple[str, ...]) -> Detection:
    """Run both detectors: Lingua decides, langdetect agreeing raises the confidence.

    Lingua decides because it was as accurate or more on every sample we measured.
    """
    first, probability = _langdetect(text, candidates)
    scores = _lingua_scores(text, candidates)
    if not scores:
        return Detection(first, probability, "langdetect")
    second = max(scores, key=scores.get)
    if second == first:
        return Detection(second, max(scores[second], probability), "both", scores)
    return Detection(second, scores[second], "lingua", scores, first)


def __getattr__(name: str) -> Any:
    """``SUPPORTED``: the catalogs' language codes (:attr:`bot.core.catalog.Catalogs.languages`), read on first use.

    Raises:
        AttributeError: any other name.
    """
    if name == "SUPPORTED":
        return tuple(default_catalogs().languages)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _cleaned(text: str) -> str:
    return without_swedish_terms(_NOISE.sub(" ", text).strip())


def main_script(text: str) -> tuple[str, float]:
    """The script ``text`` is in and its share of the letters (in [0, 1]); ``("", 0.0)`` without letters.

    A non-Latin script with at least :data:`NON_LATIN_SHARE` of the letters wins (its share doubled, capped
    at 1), even when Swedish words make up the rest.
    """
    counts = script_counts(text)
    letters = sum(counts.values())
    if not letters:
        return "", 0.0
    non_latin = {k: v for k, v in counts.items() if k in ("ethiopic", "arabic", "cyrillic")}
    if non_latin and max(non_latin.values()) / letters >= NON_LATIN_SHARE:
        script = max(non_latin, key=non_latin.get)
        return script, min(1.0, 2 * non_latin[script] / letters)
    script, count = max(counts.items(), key=lambda item: item[1])
    return script, count / letters


def detect(text: str) -> Detection:
    """The language of ``text`` among the supported languages (``SUPPORTED``), with a confidence.

    Addresses, numbers and punctuation are ignored; text without letters gives ``Detection(None, 0)``.
    """
    cleaned = _cleaned(text)
    script, share = main_script(cleaned)
    if not script:
        return Detection(None, 0.0, "no letters")
    if script == "ethiopic":
        return Detection("ti", 0.99 * share, "script")
    if script == "arabic":
        persian = sum(1 for c in cleaned if c in _PERSIAN_ONLY)
        arabic = sum(1 for c in cleaned if c in _ARABIC_ONLY)
        if persian != arabic:
            winner = "fa" if persian > arabic else "ar"
            margin = abs(persian - arabic) / (persian + arabic)
            return Detection(winner, share * (0.75 + 0.24 * margin), "script")
        found = _statistical(cleaned, ("ar", "fa"))
        return Detection(found.language, found.confidence * share, found.method, found.scores, found.disagreeing)
    if script == "cyrillic":
        ukrainian = any(c in _UKRAINIAN_ONLY for c in cleaned.lower())
        russian = any(c in _RUSSIAN_ONLY for c in cleaned.lower())
        confidence = 0.99 if ukrainian and not russian else 0.5 if russian and not ukrainian else 0.8
        return Detection("uk", confidence * share, "script")
    if script == "latin":
        if _ARABIZI.search(_ADDRESSES.sub(" ", text)):
            return Detection("ar", 0.75, "arabizi")
        found = _statistical(cleaned, LATIN)
        return Detection(found.language, found.confidence * share, found.method, found.scores, found.disagreeing)
    return Detection(None, 0.0, "unsupported script")


KEEP_CURRENT_SCORE = 0.1
"""When detection is unsure, the conversation's current language is kept if it scores at least this."""


FOREIGN_MIN_WORDS = 3
"""A message is called foreign only from this many words on: "hej", "salam", "tack så mycket" never are."""
FOREIGN_MIN_LETTERS = 12
FOREIGN_CONFIDENCE = 0.8
"""Lingua's confidence in the foreign language (times the script's share) needed to call a message foreign."""
STRONG_FOREIGN_MIN_WORDS = 5
STRONG_FOREIGN_CONFIDENCE = 0.9
"""Once the resident has chosen a language (later messages), only this much evidence makes a message foreign."""
READ_IN = {"uk": ("ru",)}
"""Per supported language, the foreign languages its chats keep: Russian in a Ukrainian chat is answered in
Ukrainian, not with the interpreter offer. Ukrainians in Sweden often write Russian or surzhyk, and on a
Russian keyboard (и for і, no ї/є) Lingua reads their Ukrainian as Russian: "Вже 2 тыжни не вывозять мусор …
Шо за безобразие?" scored Russian 0.98 (issue 14, a second independently written set). In a chat in any
other language Russian still gets the interpreter offer."""


def foreign_language(text: str, strong: bool = False, current: str | None = None) -> Detection | None:
    """The language we do not speak (one of :data:`bot.core.foreign.FOREIGN`) ``text`` is written in, else ``None``.

    ``current``: the conversation's language; a language :data:`READ_IN` keeps in it is not foreign.

    Decided only on messages of :data:`FOREIGN_MIN_WORDS` words and :data:`FOREIGN_MIN_LETTERS` letters
    (``strong``: :data:`STRONG_FOREIGN_MIN_WORDS` words and :data:`STRONG_FOREIGN_CONFIDENCE`), after Swedish
    municipal terms are left out. Letter rules decide Pashto, Sorani, Amharic and Kurmanji
    (:func:`bot.core.foreign.rule_language`); Lingua decides among the supported and foreign languages of the
    script (Bosnian, Croatian and Serbian scored together: one interpreter serves them, see
    :data:`bot.core.foreign.SAME_INTERPRETER`); a Cyrillic message with Ukrainian letters (і ї є ґ) is never
    foreign, nor is Arabic chat alphabet.
    """
    cleaned = _cleaned(text)
    words = len(cleaned.split())
    letters = sum(script_counts(cleaned).values())
    if words < (STRONG_FOREIGN_MIN_WORDS if strong else FOREIGN_MIN_WORDS) or letters < FOREIGN_MIN_LETTERS:
        return None
    script, share = main_script(cleaned)
    if script == "latin" and _ARABIZI.search(_ADDRESSES.sub(" ", text)):
        return None
    ruled = rule_language(cleaned, script)
    if ruled:
        return Detection(ruled, 0.95 * share, "rule")
    if script == "cyrillic" and any(c in _UKRAINIAN_ONLY for c in cleaned.lower()):
        return None
    own = {"latin": LATIN, "cyrillic": ("uk",)}.get(script)
    if own is None:
        return None
    scores = _lingua_scores(cleaned, own + LINGUA_FOREIGN[script])
    grouped = {code: sum(scores.get(c, 0.0) for c in interpreter_languages(code)) for code in scores}
    best = max(grouped, key=grouped.get, default=None)
    needed = STRONG_FOREIGN_CONFIDENCE if strong else FOREIGN_CONFIDENCE
    if best in FOREIGN and grouped[best] * share >= needed and best not in READ_IN.get(current or "", ()):
        return Detection(best, grouped[best] * share, "lingua", scores)
    return None


def decide(text: str, current: str) -> tuple[str, str]:
    """What the gateway does with a conversation's first free-text message.

    Returns ``("foreign", code)`` when it is written in a language we do not speak
    (:func:`foreign_language`; the gateway offers an interpreter), ``("switch", code)`` when another
    supported language is detected with confidence, ``("ask", current)`` when detection is unsure and
    the current language is implausible (the resident is asked to choose), or ``("keep", current)``.
    The current language is kept when either detector reads it: English with Swedish words ("garbage truck
    did not empty our bins … soptunna is full") was Swedish 0.80 to Lingua and English 1.0 to langdetect.
    """
    unsupported = foreign_language(text, current=current)
    if unsupported is not None and unsupported.language:
        return "foreign", unsupported.language
    found = detect(text)
    if found.language is None or found.language == current:
        return "keep", current
    if found.disagreeing == current:  # one detector reads the chat's language: no reason to leave it
        return "keep", current
    if found.confident:
        return "switch", found.language
    if found.score(current) >= KEEP_CURRENT_SCORE:
        return "keep", current
    return "ask", current


MIN_CHARS_FOR_TEXT_LANGUAGE = 20
"""Shorter messages are answers to questions (names, dates, yes/no) and are not worth detecting."""


def text_language(text: str, current: str) -> str:
    """The language ``text`` is written in: the detected one when confident, else ``current``.

    Used to record the original language of what a resident wrote (e.g. a complaint's description),
    which may differ from the conversation's language.
    """
    if len(text.strip()) < MIN_CHARS_FOR_TEXT_LANGUAGE:
        return current
    found = detect(text)
    return found.language if found.language and found.confident else current


LINGUA_LANGUAGES = tuple(
    dict.fromkeys((*LATIN, "ar", "fa", *LINGUA_FOREIGN["latin"], "uk", *LINGUA_FOREIGN["cyrillic"]))
)
"""Every language whose Lingua models the detectors use: the candidates of :func:`detect` and
:func:`foreign_language`, and no other (Lingua 2 loads a model only for a detector's own languages)."""


def _load_lingua_models(code: str) -> None:
    """Load Lingua's models of one language (all n-gram lengths) into its cache, which every detector shares."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_iso_codes_639_1(getattr(IsoCode639_1, code.upper()))
    builder.with_preloaded_language_models().build()


def warm_up_steps() -> list[Callable[[], None]]:
    """:func:`warm_up` cut into steps of one language each, for a caller that lets other work run in between.

    Lingua loads its models in native code that holds the GIL (0.1–0.7 s per language on an idle core,
    about 5 s for :data:`LINGUA_LANGUAGES`): in one piece it would stop a web app's event loop that long.
    The last step builds the detectors themselves (their models are then loaded) and detects once per script.
    """
    return [
        partial(_langdetect, "Hej", LATIN),  # langdetect's profiles
        *(partial(_load_lingua_models, code) for code in LINGUA_LANGUAGES),
        warm_up,
    ]


def warm_up() -> None:
    """Load the detectors' models now (about 5 s and 400 MB) instead of on the first resident message.

    The foreign-language detectors too (:func:`foreign_language`: about 190 MB of the 400 for the Latin
    and Cyrillic languages we do not speak; Lingua's low accuracy mode would save it but calls short
    Ukrainian and English sentences foreign).
    """
    detect("Hej, jag vill lämna en synpunkt om snöröjningen.")
    detect("مرحبا")
    foreign_language("Hej, jag vill lämna en synpunkt om snöröjningen.")
    foreign_language("Добрый день, хочу оставить отзыв")
