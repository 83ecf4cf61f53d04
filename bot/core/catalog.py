"""Per-language catalogs of everything the assistant and the chat page say.

One YAML file per language in ``bot/locales/<code>.yml`` with the same keys in each:

- ``meta``: ``language``, ``name`` (the language's own name), ``direction`` (``ltr``/``rtl``),
  ``reviewed_by_native_speaker`` (bool);
- ``format``: date, time and opening-hours patterns, month and weekday names;
- ``responses``: one entry per Rasa response (``text`` and optional ``buttons``; ``buttons:
  languages`` means one button per supported language, titled with its own name; ``buttons: areas``
  one button per department of the municipality profile, titled with its name in the language);
- ``terms``: words the actions put into responses (case kinds and statuses, reply channels, the
  labels of the complaint summary, yes/no);
- ``email``: subject and body of the e-mails sent to residents (the receipt of a case);
- ``system``: messages the gateway itself sends (assistant starting, message too long, …);
- ``ui``: labels of the chat page;
- ``phrasebook``: ready replies a case officer sends in a live chat (``phrases``: key → text) and the
  mark ``written_in_swedish`` of a case officer's own text (issue 17);
- ``public_figures``: the public key-figures page (:mod:`bot.web.public_figures`).

The phrasebook's functions are in :mod:`bot.core.phrasebook`.

Text uses ``{name}`` placeholders filled by :func:`bot.core.rendering.render_text`, which also picks the
plural form of a count (``{minutes:one=# minut|other=# minuter}``, CLDR rules) and bidi-isolates values
and numbers in right-to-left languages (see that module).
"""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.core.profile import WEEKDAYS, Profile
from bot.core.rendering import FSI, PDI, isolate_literals, render_text

__all__ = ["FSI", "PDI", "CatalogError", "Catalogs", "LanguageCatalog", "placeholders", "render_text"]

LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
"""``bot/locales``: one catalog per language, the staff console's texts and the word lists."""

logger = logging.getLogger(__name__)


class CatalogError(KeyError):
    """A language or key is missing from the catalogs."""


@dataclass(frozen=True)
class LanguageCatalog:
    """The catalog of one language (see the module docstring for its sections)."""

    code: str
    name: str
    direction: str
    reviewed: bool
    format: dict[str, Any]
    responses: dict[str, dict[str, Any]]
    system: dict[str, str]
    ui: dict[str, str]
    terms: dict[str, Any]
    email: dict[str, str]
    phrasebook: dict[str, Any] = field(default_factory=dict)
    public_figures: dict[str, str] = field(default_factory=dict)


def placeholders(text: str) -> set[str]:
    """Names of the ``{name}`` placeholders in ``text``."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def date_text(fmt: Mapping[str, Any], value: date, rtl: bool) -> str:
    """``value`` in the ``format.date`` pattern of a catalog (e.g. ``25 november 2026``).

    The pattern may use ``{day}``, ``{month}`` (name from ``format.months``, CLDR month names),
    ``{month_number}`` and ``{year}``: Arabic, Persian, Somali and Tigrinya add the numeric date,
    because month names differ between countries (Levant/Iraq and Egyptian Arabic names, the
    Ethiopian calendar's month names in Tigrinya). With ``rtl`` the numbers are isolated
    left-to-right runs, so ``25/11/2026`` keeps its order.
    """
    text = fmt["date"].format(
        day=value.day, month=fmt["months"][value.month - 1], month_number=value.month, year=value.year
    )
    return isolate_literals(text) if rtl else text


def reply_days_range(profile: Profile, pattern: str = "{first}–{last}") -> str:
    """The reply deadlines over the profile's departments in working days: ``5–15``, or ``10`` when all agree.

    Each department's own deadline, else the profile default (:meth:`Profile.reply_days_for`); ``pattern`` is
    the language's range format (``format.day_range``: ``{first}–{last}``, ``{first} تا {last}``).
    """
    days = sorted({profile.reply_days_for(dep.id) for dep in profile.departments} or {profile.reply_working_days})
    if len(days) == 1:
        return str(days[0])
    return pattern.format(first=days[0], last=days[-1])


def area_buttons(profile: Profile, language: str) -> list[dict[str, str]]:
    """One button per department of ``profile``, titled in ``language``; payload ``/inform{"choice": id}``."""
    return [
        {"title": dep.display_name(language), "payload": "/inform" + json.dumps({"choice": dep.id})}
        for dep in profile.departments
    ]


class Catalogs:
    """All language catalogs, loaded from a directory of ``<code>.yml`` files.

    Raises:
        CatalogError: (from :meth:`get`) an unsupported language.
    """

    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self._by_code: dict[str, LanguageCatalog] = {}
        loaded = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in Path(directory).glob("*.yml")]
        for data in sorted(loaded, key=lambda d: (d["meta"].get("order", 999), d["meta"]["language"])):
            meta = data["meta"]
            self._by_code[meta["language"]] = LanguageCatalog(
                code=meta["language"],
                name=meta["name"],
                direction=meta.get("direction", "ltr"),
                reviewed=bool(meta.get("reviewed_by_native_speaker", False)),
                format=data.get("format", {}),
                responses=data.get("responses", {}),
                system=data.get("system", {}),
                ui=data.get("ui", {}),
                terms=data.get("terms", {}),
                email=data.get("email", {}),
                phrasebook=data.get("phrasebook", {}),
                public_figures=data.get("public_figures", {}),
            )

    @property
    def languages(self) -> list[str]:
        """Supported language codes, in the catalogs' ``meta.order``."""
        return list(self._by_code)

    def get(self, language: str) -> LanguageCatalog:
        """The catalog of ``language``.

        Raises:
            CatalogError: no catalog for that language.
        """
        try:
            return self._by_code[language]
        except KeyError:
            raise CatalogError(f"no catalog for language {language!r}") from None

    def supports(self, language: str | None) -> bool:
        """True when there is a catalog for ``language``."""
        return language in self._by_code

    def language_buttons(self) -> list[dict[str, str]]:
        """One button per supported language, titled with the language's own name (``lang``: its code)."""
        return [
            {"title": cat.name, "payload": "/change_language" + json.dumps({"language": code}), "lang": code}
            for code, cat in self._by_code.items()
        ]

    area_buttons = staticmethod(area_buttons)

    def response(
        self, name: str, language: str, values: Mapping[str, Any], profile: Profile | None = None
    ) -> dict[str, Any]:
        """Render a Rasa response in ``language``: ``{"text": str, "buttons": [{title, payload}]}``.

        ``profile`` is needed for responses with ``buttons: areas``. In right-to-left languages the
        filled-in values are bidi-isolated (:func:`render_text`).

        Raises:
            CatalogError: unknown language or response name, or area buttons without a profile.
        """
        cat = self.get(language)
        rtl = cat.direction == "rtl"
        try:
            entry = cat.responses[name]
        except KeyError:
            raise CatalogError(f"response {name!r} is missing from the {language!r} catalog") from None
        buttons: list[dict[str, str]]
        if entry.get("buttons") == "languages":
            buttons = self.language_buttons()
        elif entry.get("buttons") == "areas":
            if profile is None:
                raise CatalogError(f"response {name!r} lists the areas and needs the municipality profile")
            buttons = self.area_buttons(profile, language)
        else:
            buttons = [
                {"title": render_text(b["title"], values, rtl, language), "payload": b["payload"]}
                for b in entry.get("buttons") or []
            ]
        return {"text": render_text(entry["text"], values, rtl, language), "buttons": buttons}

    def system(self, key: str, language: str, values: Mapping[str, Any] | None = None) -> str:
        """Render a gateway message in ``language``.

        Raises:
            CatalogError: unknown language or key.
        """
        cat = self.get(language)
        try:
            return render_text(cat.system[key], values or {}, cat.direction == "rtl", language)
        except KeyError:
            raise CatalogError(f"system message {key!r} is missing from the {language!r} catalog") from None

    def term(self, language: str, group: str, key: str | None = None) -> str:
        """A word from the ``terms`` section: ``term("sv", "case_kind", "praise")`` → ``"beröm"``.

        With ``key`` omitted, ``group`` names a single term (``"yes"``, ``"no"``, ``"not_given"``).

        Raises:
            CatalogError: unknown language, group or key.
        """
        terms = self.get(language).terms
        try:
            return str(terms[group] if key is None else terms[group][key])
        except (KeyError, TypeError):
            raise CatalogError(f"term {group}.{key} is missing from the {language!r} catalog") from None

    def email(self, key: str, language: str, values: Mapping[str, Any]) -> str:
        """Render an e-mail text (``receipt_subject``, ``receipt_body``) in ``language``.

        Values and numbers are bidi-isolated in right-to-left languages, as in the chat.

        Raises:
            CatalogError: unknown language or key.
        """
        cat = self.get(language)
        try:
            return render_text(cat.email[key], values, cat.direction == "rtl", language)
        except KeyError:
            raise CatalogError(f"e-mail text {key!r} is missing from the {language!r} catalog") from None

    def ui(self, language: str, values: Mapping[str, Any]) -> dict[str, str]:
        """All chat-page labels of ``language``, rendered (values isolated in right-to-left languages)."""
        cat = self.get(language)
        return {key: render_text(text, values, cat.direction == "rtl", language) for key, text in cat.ui.items()}

    # -- formatting of facts -------------------------------------------------------------------

    def format_date(self, value: date, language: str) -> str:
        """A deadline date in ``language`` that no reader can mistake (:func:`date_text`)."""
        cat = self.get(language)
        return date_text(cat.format, value, cat.direction == "rtl")

    def format_time(self, value: time, language: str) -> str:
        """A clock time in ``language``'s style (``08.00`` in Swedish, ``08:00`` in English)."""
        return self.get(language).format["time"].format(hour=value.hour, minute=value.minute)

    def format_opening_hours(self, profile: Profile, language: str) -> str:
        """Opening hours, one line per run of weekdays with the same hours (closed days included).

        In right-to-left languages the clock times are isolated left-to-right runs.
        """
        fmt = self.get(language).format
        runs: list[tuple[list[str], tuple[time, time] | None]] = []
        for day in WEEKDAYS:
            hours = profile.opening_hours.get(day)
            if runs and runs[-1][1] == hours:
                runs[-1][0].append(day)
            else:
                runs.append(([day], hours))
        lines = []
        for days, hours in runs:
            first = fmt["weekdays"][days[0]]
            label = first if len(days) == 1 else fmt["day_range"].format(first=first, last=fmt["weekdays"][days[-1]])
            label = label[:1].upper() + label[1:]
            if hours is None:
                lines.append(fmt["closed_line"].format(days=label))
            else:
                lines.append(
                    fmt["hours_line"].format(
                        days=label,
                        opens=self.format_time(hours[0], language),
                        closes=self.format_time(hours[1], language),
                    )
                )
        text = "\n".join(lines)
        return isolate_literals(text) if self.get(language).direction == "rtl" else text

    def profile_values(self, profile: Profile, language: str) -> dict[str, str]:
        """Placeholder values taken from the municipality profile, formatted for ``language``."""
        return {
            "municipality": profile.name,
            "municipality_short": profile.short_name,
            "phone": profile.phone,
            "email": profile.email,
            "address": profile.visiting_address,
            "web_form": profile.web_form,
            "website": profile.website,
            "privacy_url": profile.privacy_url,
            "opening_hours": self.format_opening_hours(profile, language),
            "acknowledgement_days": str(profile.acknowledgement_working_days),
            "reply_days": str(profile.reply_working_days),
            "reply_days_range": reply_days_range(profile, self.get(language).format["day_range"]),
            "area_general": profile.general_department.display_name(language),
            "areas": "\n".join(f"• {dep.display_name(language)}" for dep in profile.departments),
            "suicide_line": profile.suicide_line,
            "violence_line": profile.violence_line,
            **{f"url_{topic}": url for topic, url in profile.services.items()},
        }


@lru_cache(maxsize=1)
def default_catalogs() -> Catalogs:
    """The catalogs shipped in ``bot/locales`` (loaded once per process)."""
    return Catalogs()
