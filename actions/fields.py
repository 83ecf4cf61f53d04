"""Reading residents' answers: choices, yes/no, e-mail addresses, phone numbers, names and dates.

Residents type in any of the supported languages and scripts, so digits of every script count
(Arabic-Indic ``٣``, Persian ``۳``), and words are compared case- and accent-insensitively.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

import dateparser
import phonenumbers
from dateparser.search import search_dates
from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import DamerauLevenshtein

MAX_NAME_CHARS = 100
MAX_PLACE_CHARS = 200
OLDEST_EVENT = timedelta(days=3650)
"""Events more than ten years back are taken as a typo in the year."""

_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
_SAME_LETTER = str.maketrans(
    {"ł": "l", "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ـ": None}
)
"""Arabic and Persian spellings of one letter, made one for comparing (residents type either)."""


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of any script replaced by its ASCII digit (``٣/١١`` → ``3/11``)."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def normalize(text: str) -> str:
    """Lower case, without accents, punctuation runs as single spaces: for comparing answers.

    Arabic and Persian forms of the same letter (ي/ی, ك/ک, ة/ه, أ/ا) are made one.
    """
    decomposed = unicodedata.normalize("NFKD", ascii_digits(text).casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _PUNCTUATION.sub(" ", stripped.translate(_SAME_LETTER)).strip()


def _starts_word_of(label: str, answer: str) -> bool:
    """True when ``label`` starts with ``answer`` cut off inside a word ("felanm" of "felanmälan").

    A whole word is not the start of a longer label ("absolut" is not "absolut inte", absolutely not).
    """
    return label.startswith(answer) and len(label) > len(answer) and label[len(answer)] != " "


def match_choice(text: str, options: Mapping[str, Iterable[str]], partial: bool = True) -> str | None:
    """The option a typed answer means, or ``None`` when it means none or several.

    ``options`` maps an option's code to the labels residents may type for it (button titles,
    terms, in one or more languages). Matches, in order: the option's number (``"2"`` → the second
    option); a whole label; unless ``partial`` is false, the start of a label cut off inside a word or a
    label inside the answer (at least three letters). Ambiguous answers give ``None``.
    """
    answer = normalize(text)
    if not answer:
        return None
    codes = list(options)
    if answer.isdigit():
        number = int(answer)
        return codes[number - 1] if 1 <= number <= len(codes) else None
    labels = {code: [normalize(label) for label in labels] for code, labels in options.items()}
    exact = {code for code, names in labels.items() if answer in names}
    if len(exact) == 1:
        return exact.pop()
    if len(answer) < 3 or not partial:
        return None
    found = {
        code
        for code, names in labels.items()
        for name in names
        if name and (_starts_word_of(name, answer) or re.search(rf"(^| ){re.escape(name)}( |$)", answer))
    }
    return found.pop() if len(found) == 1 else None


_CLAUSE_END = re.compile(r"[,.;:!?¡¿،؛؟።፣፤፥]+(?:\s|$)")
"""Punctuation that ends a clause when a space or the end follows (not the dot of an e-mail address or 1.5)."""

FUZZY_MIN_LETTERS = 6
"""Words of at least this many letters match a word of the lists with one typo (one letter wrong,
missing, extra or two swapped). Shorter words must be right: with 5 letters, Finnish "antaa" (give)
read as "aitaa" (fence) and "äidin" (mother's) as "aidan". The first letter must be right too: typos
rarely hit it, and English "broken" was read as Swedish "fröken" (teacher, a school word)."""


def _word_matches(word: str, wanted: str, prefix: bool, typos: bool = True) -> bool:
    if word == wanted or (prefix and word.startswith(wanted)):
        return True
    if not typos or len(wanted) < FUZZY_MIN_LETTERS or word[:1] != wanted[:1]:
        return False
    if prefix:  # the stem's last letter must be there: Polish "trafiłam" (I found) is no "trafik*" with a typo
        near_end = word[max(len(wanted) - 2, 0) : len(wanted) + 1]
        return wanted[-1] in near_end and DamerauLevenshtein.distance(word[: len(wanted)], wanted) <= 1
    return len(word) >= FUZZY_MIN_LETTERS and DamerauLevenshtein.distance(word, wanted) <= 1


def _readings(word: str, clitics: Iterable[str]) -> list[str]:
    """``word`` and the word without each of the ``clitics`` glued to its front (Arabic ``بالمدرسة``)."""
    readings = [word]
    for clitic in clitics:
        if word.startswith(clitic) and len(word) - len(clitic) >= 2:
            readings.append(word[len(clitic) :])
    return readings


def find_choice(
    text: str, options: Mapping[str, Iterable[str]], clitics: Iterable[str] = (), typos: bool = True
) -> str | None:
    """The option one of whose words occurs earliest in ``text`` (a whole typed sentence), else ``None``.

    ``options`` maps an option's code to words and phrases residents use for it; ``"sop*"`` matches
    every word starting with "sop" (soporna, soptunnan), a phrase matches consecutive words. Case,
    accents and punctuation do not matter; a word of 6+ letters may have one typo (Damerau-Levenshtein
    distance 1, ``rapidfuzz``; :data:`FUZZY_MIN_LETTERS`) unless ``typos`` is false; ``clitics`` are
    prefixes glued to words that are tried without (``["و", "ب", "ال", …]``). A phrase does not reach
    over a comma or a full stop (Polish "nie, chcę odpowiedź" — no, I want a reply — is not "nie chcę
    odpowiedzi", I want no reply). Of several options found, the one mentioned first wins ("a complaint
    that the lamp is broken" → complaint); the longer phrase wins at the same place; options found at the
    same place with phrases of the same length make it ambiguous (``None``).
    """
    clitic_list = [normalize(c) for c in clitics if normalize(c)]
    words: list[list[str]] = []
    clause: list[int] = []
    for number, part in enumerate(_CLAUSE_END.split(text)):
        for word in normalize(part).split():
            words.append(_readings(word, clitic_list))
            clause.append(number)
    hits: list[tuple[int, int, str]] = []
    for code, entries in options.items():
        for entry in entries:
            prefix = entry.rstrip().endswith("*")
            phrase = normalize(entry.rstrip().rstrip("*")).split()
            if not phrase:
                continue
            for start in range(len(words) - len(phrase) + 1):
                if clause[start] == clause[start + len(phrase) - 1] and all(
                    any(
                        _word_matches(reading, part, prefix and i == len(phrase) - 1, typos)
                        for reading in words[start + i]
                    )
                    for i, part in enumerate(phrase)
                ):
                    hits.append((start, -sum(map(len, phrase)), code))
                    break
    if not hits:
        return None
    best = min(hits)
    rivals = {code for start, length, code in hits if (start, length) == best[:2]}
    return best[2] if len(rivals) == 1 else None


def find_email(text: str) -> str | None:
    """The first syntactically valid e-mail address in ``text``, normalised; ``None`` if there is none.

    Syntax only (``email-validator`` without a DNS lookup): the resident may be offline from the
    municipality's point of view and nothing here may block on the network.
    """
    for token in re.split(r"[\s,;<>()\[\]]+", text or ""):
        if "@" not in token:
            continue
        try:
            return validate_email(token.strip(".:"), check_deliverability=False).normalized
        except EmailNotValidError:
            continue
    return None


def find_phone(text: str, region: str = "SE") -> str | None:
    """The first valid phone number in ``text`` in international format (``+46 70 123 45 67``), else ``None``.

    Numbers without a country code are read as Swedish (``region``); ``phonenumbers`` checks that
    the number exists in the numbering plan.
    """
    for match in phonenumbers.PhoneNumberMatcher(ascii_digits(text or ""), region):
        if phonenumbers.is_valid_number(match.number):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return None


def clean_name(text: str) -> str | None:
    """A plausible name (1–100 characters, mostly letters of any script, no e-mail or number), else ``None``."""
    name = " ".join((text or "").split())
    if not name or len(name) > MAX_NAME_CHARS or "@" in name or "/" in name:
        return None
    letters = sum(c.isalpha() for c in name)
    digits = sum(c.isdigit() for c in name)
    if letters < 2 or digits > 0:
        return None
    return name


def _most_recent_weekday(today: date, weekday: int) -> date:
    """The latest date before ``today`` that falls on ``weekday`` (Monday = 0); a week ago on the same day."""
    back = (today.weekday() - weekday) % 7 or 7
    return today - timedelta(days=back)


_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC = re.compile(r"(?<![\d])(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?\.?(?![\d])")


class DateNotUnderstood(ValueError):
    """The text holds no date this module can read."""


class DateInFuture(ValueError):
    """The date read is after today."""


def parse_event_date(
    text: str,
    language: str,
    today: date,
    date_words: Mapping[str, Iterable[str]],
    weekday_names: Iterable[tuple[int, str]],
) -> date:
    """The date of an event as a resident wrote it, in ``language``.

    Understands, in this order: ISO dates (``2026-11-03``); day/month numbers as written in Sweden
    and most of Europe (``3/11``, ``3.11.``, ``3/11/2026`` — day first; without a year, the latest
    such day not after today); the catalog's words for today, yesterday and the day before
    yesterday (``date_words``: ``{"today": [...], "yesterday": [...], "day_before_yesterday":
    [...]}``); a weekday name (``weekday_names``: ``(0, "måndag")`` …; "i måndags" / "last Monday" →
    the latest past Monday); then anything ``dateparser`` reads in ``language`` or English ("3
    november", "two days ago"). Measured: ``dateparser`` alone reads ISO dates day-first and knows
    no weekday phrases nor Tigrinya, hence the rules before it.

    Raises:
        DateNotUnderstood: no date found, or one more than ten years back.
        DateInFuture: the date is after ``today``.
    """
    raw = ascii_digits(text or "").strip()
    words = normalize(raw)
    found: date | None = None
    iso = _ISO.search(raw)
    numeric = _NUMERIC.search(raw)
    if iso:
        found = _safe_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    elif numeric:
        day, month, year = numeric.groups()
        if year is None:
            found = _safe_date(today.year, int(month), int(day))
            if found and found > today:
                found = _safe_date(today.year - 1, int(month), int(day))
        else:
            full_year = int(year) + (2000 if len(year) == 2 else 0)
            found = _safe_date(full_year, int(month), int(day))
    if found is None:
        for key, back in (("day_before_yesterday", 2), ("yesterday", 1), ("today", 0)):
            if any(_has_phrase(words, normalize(w)) for w in date_words.get(key, ())):
                found = today - timedelta(days=back)
                break
    if found is None:
        for weekday, name in weekday_names:
            stem = normalize(name)
            if stem and re.search(rf"(^| ){re.escape(stem)}", words):
                found = _most_recent_weekday(today, weekday)
                break
    if found is None:
        found = _dateparser(raw, language, today)
    if found is None or found < today - OLDEST_EVENT:
        raise DateNotUnderstood(text)
    if found > today:
        raise DateInFuture(text)
    return found


def _has_phrase(words: str, phrase: str) -> bool:
    return bool(phrase) and re.search(rf"(^| ){re.escape(phrase)}( |$)", words) is not None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dateparser(text: str, language: str, today: date) -> date | None:
    """``dateparser`` on the whole text, else the latest date not after ``today`` found inside it.

    Inside: "three weeks ago was the last time", "för två veckor sen tömde dom senast".
    """
    settings = {
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": "past",
        "RELATIVE_BASE": datetime(today.year, today.month, today.day, 12, 0),
        "REQUIRE_PARTS": ["day"],
    }
    for languages in ([language, "en"], ["en"]):
        try:
            parsed = dateparser.parse(text, languages=languages, settings=settings)
        except (ValueError, KeyError):  # a language dateparser does not know
            continue
        if parsed is not None:
            return parsed.date()
    for languages in ([language, "en"], ["en"]):
        try:
            found = search_dates(text, languages=languages, settings=settings) or []
        except (ValueError, KeyError):
            continue
        days = [when.date() for _, when in found if when.date() <= today]
        if days:
            return max(days)
    return None
