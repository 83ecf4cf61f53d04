"""Filling catalog texts: ``{name}`` placeholders, plural forms of counts and bidi isolation.

One renderer for everything residents and staff read (chat, widget labels, gateway messages,
e-mails, staff console): :func:`render_text`.

Plural forms (CLDR plural rules, read from Babel): a placeholder that holds a count carries its
forms in the format spec, one per CLDR plural category of the language, separated by ``|``; ``#``
stands for the number::

    "Vänta {minutes:one=# minut|other=# minuter} och försök igen."
    "انتظروا {minutes:zero=# دقيقة|one=دقيقة واحدة|two=دقيقتين|few=# دقائق|many=# دقيقة|other=# دقيقة}."

The categories a language needs are ``plural_categories(language)`` (Swedish: ``one``, ``other``;
Arabic: ``zero``, ``one``, ``two``, ``few``, ``many``, ``other``). The form is chosen by
``babel.Locale.plural_form`` (Unicode CLDR, "Language Plural Rules"); a missing category falls back
to ``other``.

Bidi isolation (Unicode Standard Annex #9, isolates; W3C "Inline markup and bidirectional text in
HTML"): in a right-to-left language every filled-in value is wrapped in FSI … PDI (line by line when
it has several lines), and every run of left-to-right characters written in the text itself (digits,
phone numbers, e-mail and web addresses, case numbers, Swedish names) in LRI … PDI. Catalog texts
therefore contain no hand-written isolates.
"""

from __future__ import annotations

import logging
import re
import string
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel import Locale

logger = logging.getLogger(__name__)

LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
"""Left-to-Right Isolate, First Strong Isolate and Pop Directional Isolate (UAX #9)."""
ISOLATE_MARKS = "\u2066\u2067\u2068\u2069"
"""LRI, RLI, FSI, PDI: the characters a catalog text must not contain (the renderer adds them)."""

COUNT_PLACEHOLDERS = frozenset(
    {"acknowledgement_days", "reply_days", "min_chars", "max_chars", "minutes", "wait_minutes", "count"}
)
"""Placeholders that hold a count: in every catalog text they carry plural forms (``position``, a
place in the queue, is an ordinal and takes no noun)."""

_LTR_CHAR = r"[0-9A-Za-z\u00c0-\u024f]"
_LTR_JOINER = r"[-./:@_+#%&=?~]"
_LTR_TOKEN = rf"{_LTR_CHAR}+(?:{_LTR_JOINER}+{_LTR_CHAR}+)*"
LTR_RUN = re.compile(rf"{_LTR_TOKEN}(?:[ \u00a0]+{_LTR_TOKEN})*")
"""A run of left-to-right words and numbers (Latin letters, digits and the marks inside addresses,
phone numbers and dates), spaces between them included: ``070-123 45 67``, ``SYN-2026-00042``,
``name@example.se``, ``https://exempelby.se/x``, ``Storgatan 5``."""


@lru_cache(maxsize=32)
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def plural_categories(language: str) -> frozenset[str]:
    """The CLDR plural categories ``language`` distinguishes for cardinal numbers, ``other`` included.

    Raises:
        babel.UnknownLocaleError: Babel has no data for ``language``.
    """
    return frozenset(_locale(language).plural_form.tags) | {"other"}


def plural_category(language: str, count: Any) -> str:
    """The CLDR plural category of ``count`` (int, or a string of digits) in ``language``.

    A value that is no number is ``other`` (and logged): the text still renders.
    """
    try:
        number = Decimal(str(count).strip())
    except InvalidOperation:
        logger.error("count placeholder got a value that is no number")
        return "other"
    if number == number.to_integral_value():
        number = Decimal(int(number))
    return _locale(language).plural_form(number)


def plural_forms(spec: str) -> dict[str, str] | None:
    """The forms of a plural format spec (``one=# minut|other=# minuter``), or None for another spec."""
    if "=" not in spec:
        return None
    forms = {}
    for part in spec.split("|"):
        tag, sep, form = part.partition("=")
        if not sep:
            return None
        forms[tag.strip()] = form
    return forms


def isolate_literals(text: str) -> str:
    """Wrap every left-to-right run (:data:`LTR_RUN`) of ``text`` in LRI … PDI."""
    return LTR_RUN.sub(lambda m: f"{LRI}{m.group(0)}{PDI}", text)


def _mixed(line: str) -> bool:
    """True when ``line`` has right-to-left letters and no isolates yet (a label with a value, a date)."""
    return not any(ch in ISOLATE_MARKS for ch in line) and any(
        unicodedata.bidirectional(ch) in ("R", "AL") for ch in line
    )


def isolate_value(value: str) -> str:
    """Wrap ``value`` in FSI … PDI, each line on its own (a line break ends every isolate).

    A line that mixes right-to-left words with numbers (``الهاتف: 070-123 45 67`` in a summary) has its
    left-to-right runs isolated too (:func:`isolate_literals`).
    """
    lines = [isolate_literals(line) if _mixed(line) else line for line in value.split("\n")]
    return "\n".join(f"{FSI}{line}{PDI}" if line else line for line in lines)


class _Formatter(string.Formatter):
    """Knows the language (plural rules) and whether to isolate (right-to-left text)."""

    def __init__(self, language: str | None, isolate: bool) -> None:
        self.language = language
        self.isolate = isolate

    def fill(self, value: Any, spec: str) -> str:
        forms = plural_forms(spec)
        if forms is None:
            text = format(value, spec)
            return isolate_value(text) if self.isolate else text
        category = plural_category(self.language or "en", value) if self.language else "other"
        form = forms.get(category, forms.get("other", "#"))
        number = isolate_value(str(value)) if self.isolate else str(value)
        literal = isolate_literals(form) if self.isolate else form
        return literal.replace("#", number)


def render_text(text: str, values: Mapping[str, Any], isolate: bool = False, language: str | None = None) -> str:
    """Fill the ``{name}`` placeholders of ``text`` from ``values``.

    ``{name:one=…|other=…}`` picks the plural form of the count ``values[name]`` by the CLDR rules
    of ``language`` (``#`` is the number; without a language the ``other`` form). ``isolate``
    (right-to-left languages) wraps every filled-in value in FSI … PDI and every left-to-right run
    written in the text in LRI … PDI, so a Swedish case number, phone number or date keeps its
    order inside Arabic or Persian (UAX #9). A placeholder without a value stays visible as
    ``{name}`` and is logged; values are never parsed as templates.
    """
    formatter = _Formatter(language, isolate)
    out: list[str] = []
    for literal, field, spec, conversion in formatter.parse(text):
        out.append(isolate_literals(literal) if isolate else literal)
        if field is None:
            continue
        value = values.get(field)
        if value is None:
            logger.error("catalog placeholder {%s} has no value", field)
            out.append("{" + field + "}")
            continue
        if conversion:
            value = formatter.convert_field(value, conversion)
        out.append(formatter.fill(value, spec or ""))
    return "".join(out)
