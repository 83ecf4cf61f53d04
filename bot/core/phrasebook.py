"""The phrasebook (issue 17): ready replies a case officer sends in a live chat, in the resident's language.

The replies are the ``phrasebook.phrases`` of every resident catalog (``bot/locales/<lang>.yml``), the
same keys in each; the staff console shows them in its own language (``bot/locales/staff/<lang>.yml``).
A case officer's own text in Swedish to a resident of another language carries the catalog's mark
``phrasebook.written_in_swedish`` in the resident's language, so the resident knows why it is not in theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.catalog import CatalogError, Catalogs, render_text

WORKING_LANGUAGE = "sv"
"""The language case officers write in (Swedish, the language of Swedish public authorities, språklagen 10 §)."""


def has_phrase(catalogs: Catalogs, key: str) -> bool:
    """True when every catalog has the phrasebook reply ``key``."""
    return all(key in catalogs.get(code).phrasebook.get("phrases", {}) for code in catalogs.languages)


def phrase(catalogs: Catalogs, key: str, language: str, values: Mapping[str, Any]) -> str:
    """The phrasebook reply ``key`` in ``language`` (values bidi-isolated in right-to-left languages).

    Raises:
        CatalogError: unknown language or phrase key.
    """
    cat = catalogs.get(language)
    try:
        text = cat.phrasebook["phrases"][key]
    except KeyError:
        raise CatalogError(f"phrase {key!r} is missing from the {language!r} catalog") from None
    return render_text(text, values, cat.direction == "rtl")


def written_in_swedish(catalogs: Catalogs, language: str) -> str:
    """The mark on a case officer's own Swedish text, in ``language``.

    Raises:
        CatalogError: unknown language, or its catalog lacks ``phrasebook.written_in_swedish``.
    """
    try:
        return str(catalogs.get(language).phrasebook["written_in_swedish"])
    except KeyError:
        raise CatalogError(f"phrasebook.written_in_swedish is missing from the {language!r} catalog") from None


def own_text_payload(catalogs: Catalogs, written_in: str, resident_language: str) -> dict[str, str]:
    """Payload of a case officer's own text written in ``written_in``: ``lang``/``dir``, and the mark.

    Swedish text to a resident whose language is not Swedish gets ``note`` (the mark "written in Swedish"
    in ``resident_language``) with ``note_lang`` and ``note_dir``.
    """
    payload = {"lang": written_in, "dir": catalogs.get(written_in).direction}
    if written_in == WORKING_LANGUAGE and resident_language != WORKING_LANGUAGE:
        payload["note"] = written_in_swedish(catalogs, resident_language)
        payload["note_lang"] = resident_language
        payload["note_dir"] = catalogs.get(resident_language).direction
    return payload
