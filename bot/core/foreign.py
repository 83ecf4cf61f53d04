"""Languages the assistant does not speak: which ones it recognises, by what, and their names.

A resident who writes in such a language is not answered in the nearest supported one (Turkish is not
English, Russian is not Ukrainian): :func:`bot.core.langid.foreign_language` names the language and
the gateway offers a case officer with an interpreter. The municipality books the interpreter free of
charge (förvaltningslagen (2017:900) 13 §: an authority uses an interpreter when needed).

Two ways to recognise a language:

- **Lingua** (``lingua-language-detector``) knows :data:`LINGUA_FOREIGN` and is asked with the
  supported languages of the same script as the other candidates;
- **letter and word rules** for languages Lingua has no model of (:func:`rule_language`): Pashto and
  Central Kurdish (Sorani) use Arabic-script letters that Arabic and Persian never use; Amharic and
  Tigrinya share the Ge'ez script but spell differently (Tigrinya writes ``ኣ`` and has ``ቐ``/``ኸ``,
  Amharic writes ``አ`` and ends verbs in ``ለሁ``); Kurmanji writes ``ê î û`` and its own small words.

Names come from Babel (Unicode CLDR), in Swedish and English for the resident and the staff console.
"""

from __future__ import annotations

import re

from babel import Locale, UnknownLocaleError

LINGUA_FOREIGN = {"latin": ("tr", "bs", "hr", "de", "es"), "cyrillic": ("ru", "sr")}
"""Unsupported languages recognised by Lingua, per script (Lingua's Serbian model is Cyrillic; Serbian in
Latin letters comes out as Croatian or Bosnian, which one interpreter serves)."""
RULE_FOREIGN = ("ps", "ckb", "am", "ku")
"""Unsupported languages recognised by :func:`rule_language` (Pashto, Central Kurdish, Amharic, Kurmanji
under Babel's code ``ku``)."""
FOREIGN = tuple(code for codes in LINGUA_FOREIGN.values() for code in codes) + RULE_FOREIGN
"""Every unsupported language the assistant recognises (it names them to staff as "interpreter needed")."""

SAME_INTERPRETER = (("bs", "hr", "sr"),)
"""Languages one interpreter usually serves, named together (detection among them is unreliable)."""

_PASHTO = set("ټډړږښګڼېۍځڅ")
_SORANI = set("ەێۆڕڵ")
_TIGRINYA_LETTERS = re.compile("[\u1250-\u125d\u12b8-\u12c5\u12a3\u1213]")  # ቐ…, ኸ…, ኣ, ሓ
_TIGRINYA_WORDS = {"እዩ", "ኢዩ", "ናይ", "እየ", "ኣብ", "ከመይ", "እንታይ", "ብዛዕባ", "ኣሎ", "የለን", "ድማ", "ከኣ", "ካብ", "ምስ", "እውን"}
_AMHARIC_WORDS = {"ነው", "እና", "ላይ", "ውስጥ", "እባክዎ", "እባክህ", "ምን", "ማንም", "ጋር", "ይህ"}
_AMHARIC_ENDINGS = ("ለሁ", "ላለሁ", "ኛል", "ናል", "ችላለሁ")
_AMHARIC_NEGATION = re.compile("^አ[ልይ].+ም$")
"""Amharic negation አል…ም / አይ…ም (Tigrinya writes ኣይ…ን)."""
_KURMANJI_LETTERS = set("êîûÊÎÛ")
_KURMANJI_WORDS = {
    *("ez", "xwe", "ji", "dixwazim", "dikarim", "nikarim", "çawa", "kengî", "tune", "heye", "divê"),
    *("silav", "spas", "nehat", "bikim", "alikari", "zarok", "kirin"),
}
_WORD = re.compile(r"\w+")


def _amharic_or_tigrinya(text: str, words: list[str]) -> str | None:
    """``am`` when the words are Amharic, else ``None`` (Ge'ez script stays Tigrinya).

    Amharic: a word such as ``ነው`` or ``እና``, a verb in ``ለሁ``, a negation ``አል…ም``, or two words spelled
    with ``አ``; and no Tigrinya letter or word.
    """
    tigrinya = len(_TIGRINYA_LETTERS.findall(text)) + sum(w in _TIGRINYA_WORDS for w in words)
    spelled = sum(w.startswith("አ") for w in words)
    worded = sum(bool(w in _AMHARIC_WORDS or w.endswith(_AMHARIC_ENDINGS) or _AMHARIC_NEGATION.match(w)) for w in words)
    return "am" if tigrinya == 0 and (worded or spelled >= 2) else None


def rule_language(text: str, script: str) -> str | None:
    """The language of :data:`RULE_FOREIGN` that ``text`` is written in by its letters and words, else ``None``.

    ``script`` is the text's main script (``arabic``, ``ethiopic``, ``latin``; see
    :func:`bot.core.langid.script_counts`). One Pashto or Sorani letter decides in Arabic script (Arabic and
    Persian have none); Kurmanji needs two of its letters or words.
    """
    words = [w.lower() for w in _WORD.findall(text)]
    if script == "arabic":
        pashto = sum(c in _PASHTO for c in text)
        sorani = sum(c in _SORANI for c in text)
        if pashto or sorani:
            return "ps" if pashto > sorani else "ckb"
        return None
    if script == "ethiopic":
        return _amharic_or_tigrinya(text, words)
    if script == "latin":
        marks = sum(c in _KURMANJI_LETTERS for c in text) + sum(w in _KURMANJI_WORDS for w in words)
        return "ku" if marks >= 2 else None
    return None


def interpreter_languages(code: str) -> tuple[str, ...]:
    """The languages an interpreter for ``code`` is booked for: ``code``, or its :data:`SAME_INTERPRETER` group."""
    return next((group for group in SAME_INTERPRETER if code in group), (code,))


def language_name(code: str, in_language: str) -> str:
    """The name of language ``code`` in ``in_language`` (Babel/CLDR: ``("tr", "sv")`` → ``turkiska``).

    A group of :data:`SAME_INTERPRETER` is named as one (``bosniska/kroatiska/serbiska``); an unknown code or
    display language gives the code itself.
    """
    try:
        names = Locale.parse(in_language).languages
    except (UnknownLocaleError, ValueError):
        return code
    return "/".join(names.get(c, c) for c in interpreter_languages(code))
