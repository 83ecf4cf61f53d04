"""Rasa's natural language generator: every response rendered inside the Rasa process from the catalogs.

``domain.yml`` lists only the response names; the words live in ``bot/locales/<lang>.yml`` and the
municipal facts in the profile. ``endpoints.yml`` names this class (``nlg: type:
bot.nlg.CatalogNaturalLanguageGenerator``); Rasa 3.6 builds it once per loaded model
(``rasa.core.nlg.generator._load_from_module_name_in_endpoint_config``) and awaits :meth:`generate`
for every ``utter_…`` action and every ``dispatcher.utter_message(response=…)`` of the actions.

Until issue 18 Rasa posted the whole tracker (every event of the conversation, hundreds of kB in a
long form) to the web app's ``POST /nlg`` for each response; rendering here costs no HTTP call and no
tracker serialisation (figures: docs/benchmarks.md, "Responses rendered inside Rasa").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.core.catalog import CatalogError, Catalogs, default_catalogs
from bot.core.profile import Profile, load_profile
from bot.core.settings import Settings
from bot.rasa_speedups import install as install_speedups

logger = logging.getLogger(__name__)

RASA_ONLY_ARGUMENTS = frozenset({"domain_responses"})
"""Keyword arguments Rasa adds for its own generators (the domain's response texts), not values to fill in."""


def response_language(
    catalogs: Catalogs,
    arguments: Mapping[str, Any],
    slots: Mapping[str, Any],
    metadata: Mapping[str, Any],
    default: str,
) -> str:
    """The language a response is rendered in: a supported language code.

    In order: the ``language`` argument (``utter_message(response=…, language=…)``: the language-change
    confirmation, rendered in the new language before the slot is set), the ``language`` slot, the
    ``language`` of the latest message's metadata (the gateway sends the conversation's language with
    every message, :mod:`bot.chat.delivery`), else ``default``.
    """
    for candidate in (arguments.get("language"), slots.get("language"), metadata.get("language")):
        if catalogs.supports(candidate):
            return str(candidate)
    return default


def render_response(
    catalogs: Catalogs,
    profile: Profile,
    name: str,
    language: str,
    slots: Mapping[str, Any],
    arguments: Mapping[str, Any],
) -> dict[str, Any]:
    """Render response ``name`` in ``language``: ``{"text": str, "buttons": [{"title", "payload"}, …]}``.

    Placeholders are filled from the profile's values (:meth:`Catalogs.profile_values`), overridden by
    the slots, overridden by the arguments; only strings and numbers are taken (a list slot is no text).

    Raises:
        CatalogError: unknown response name or language.
    """
    values: dict[str, Any] = {**catalogs.profile_values(profile, language)}
    values.update({k: v for k, v in slots.items() if isinstance(v, (str, int, float))})
    values.update({k: v for k, v in arguments.items() if isinstance(v, (str, int, float))})
    return catalogs.response(name, language, values, profile)


class CatalogNaturalLanguageGenerator(NaturalLanguageGenerator):
    """Renders Rasa's responses from the per-language catalogs and the municipality profile.

    The catalogs (:func:`bot.core.catalog.default_catalogs`) and the profile (``KOMMUN_PROFILE``) are
    read once, when Rasa loads the model; the default language is ``KOMMUN_DEFAULT_LANGUAGE``
    (:class:`bot.core.settings.Settings`, from the environment the supervisor gives Rasa).

    Raises:
        bot.core.profile.ProfileError: (constructor) the profile is missing or invalid.
    """

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        domain: Domain | None = None,
        *,
        settings: Settings | None = None,
        catalogs: Catalogs | None = None,
        profile: Profile | None = None,
    ) -> None:
        settings = settings or Settings.from_env()
        install_speedups()  # Rasa's per-call schema check of action answers, done once (issue 18)
        self.catalogs = catalogs or default_catalogs()
        self.profile = profile or load_profile(settings.profile_path)
        self.default_language = settings.default_language

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        """The message of response ``utter_action``: ``{"text", "buttons"}``, or ``None`` when unknown.

        ``kwargs`` are the response's arguments (``utter_message(response=…, minutes=5)``) plus Rasa's
        ``domain_responses``, which is ignored. An unknown response name is logged as an error and gives
        ``None``: Rasa then sends nothing for it, as with its own templated generator.
        """
        arguments = {k: v for k, v in kwargs.items() if k not in RASA_ONLY_ARGUMENTS}
        slots = tracker.current_slot_values()
        latest = tracker.latest_message
        metadata = latest.metadata if latest is not None and isinstance(latest.metadata, dict) else {}
        language = response_language(self.catalogs, arguments, slots, metadata, self.default_language)
        try:
            return render_response(self.catalogs, self.profile, utter_action, language, slots, arguments)
        except CatalogError:
            logger.error("No catalog text for the response %r", utter_action)
            return None
