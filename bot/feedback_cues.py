"""Rasa NLU component: a message that says the resident wants to give feedback starts the feedback form.

The intent classifier reads "I have a suggestion about building permits" as the building-permit
question, "I want to thank the building department" as thanks and "the street lamp on my street is
broken" as out of scope: the topic words outweigh the one word that says what the resident wants.
This component runs after the classifier and, for such intents only (:data:`OVERRIDABLE`), changes
the intent to ``file_complaint`` when the message names a kind of feedback in the words residents use
(``actions/lexicon/<lang>.yml``: complain, suggest, broken, praise …, in the conversation's language,
Swedish and English). Thanks become praise only when a department is named too ("thanks for the
help" stays thanks); a greeting read as goodbye ("heippa, mulla ois ehdotus") with a kind word starts
the form. The complaint form then takes the kind, the department and the description from the same
message and asks only what is missing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from actions.answers import area_words, group_words, kind_words, read_choice, typed_languages
from bot.core.catalog import default_catalogs
from bot.core.profile import Profile, load_profile
from bot.core.settings import Settings

FEEDBACK_INTENT = "file_complaint"
OVERRIDABLE = frozenset(
    {
        "faq_contact",
        "faq_opening_hours",
        "faq_interpreter",
        "faq_building_permit",
        "faq_waste_collection",
        "faq_preschool_school",
        "faq_financial_aid",
        "faq_elderly_care",
        "faq_parking",
        "out_of_scope",
        "inform",
        "greet",
        "goodbye",
        "thank",
    }
)
"""Intents a feedback word overrides. Not the questions about feedback itself (how to complain, reply
times, anonymity, appeals), and never the emergency, crisis, abuse-in-care or handoff intents."""
VAGUE = frozenset({"out_of_scope", "inform", "greet"})
"""Intents that say nothing the assistant can answer: naming a department is enough to start the form
("tja, det gäller vår gata"), as is a message the classifier is unsure of (below :data:`UNSURE`)."""
UNSURE = 0.4
"""Below this confidence the classifier's intent is a guess (the fallback threshold of config.yml is 0.3):
Finnish "haluun antaa kehuja" (I wanna give praise) was read as cancel at 0.30."""
MIN_WORDS = 3
"""Shorter messages keep their intent ("tack") unless they are the name of a kind themselves ("beröm :)",
"a suggestion", "похвала"): then also when read as the question about complaining or as "I don't know"."""
KEPT = frozenset({"emergency", "crisis", "care_abuse", "request_human", "check_case_status"})
"""Intents never changed here, however unsure: an alarm that may be one goes to its rule (the triage
classifier decides those), and a request for a person or a status lookup is not a wish to give feedback
(unless the status question says the resident wants to complain: :data:`STATUS_INTENT`)."""
SHORT_OVERRIDABLE = frozenset({"faq_complaint_process", "faq_anonymous_complaint", "dont_know", "deny", "affirm"})
STATUS_INTENT = "check_case_status"
"""A status question phrased as a wish to complain ("I applied four months ago and heard nothing, I want to
complain about this delay") is a complaint about the handling time: the lexicon's ``complain_wish`` words
("want to complain", "vill klaga", "شکایت کنم" — verbs, not the noun of "the status of my complaint")."""


@lru_cache(maxsize=1)
def _profile() -> Profile:
    return load_profile(Settings.from_env().profile_path)


def _names_a_kind(text: str, languages: list[str]) -> bool:
    """True when a short message is a kind of feedback itself: its name, button title or a word for it."""
    cats = default_catalogs()
    options = {
        kind: [*words, *(cats.term(language, "case_kind", kind) for language in languages)]
        for kind, words in kind_words(languages).items()
    }
    return read_choice(text, options, languages) is not None


def wants_feedback(text: str, language: str | None, intent: str | None, confidence: float = 1.0) -> bool:
    """True when a message classified as ``intent`` (with ``confidence``) asks to give feedback.

    That is: it names a kind of feedback (thanks: and a department, or praise by name), or it is vague (:data:`VAGUE`,
    or ``confidence`` below :data:`UNSURE`) and names a department; a status question only when it says
    the resident wants to complain (:data:`STATUS_INTENT`). ``language`` is the
    conversation's (``None``: Swedish and English only).
    """
    vague = intent in VAGUE or (confidence < UNSURE and intent not in KEPT)
    languages = typed_languages(language)
    if text.startswith("/"):
        return False
    if intent == STATUS_INTENT:
        return _says_wish(text, languages)
    if len(text.split()) < MIN_WORDS:
        short_ok = vague or intent in SHORT_OVERRIDABLE or intent in OVERRIDABLE - {"thank", "goodbye"}
        return short_ok and _names_a_kind(text, languages)
    if not (vague or intent in OVERRIDABLE):
        return False
    names_area = read_choice(text, area_words(_profile(), languages), languages) is not None
    if vague and (names_area or _says_wish(text, languages)):
        return True
    if read_choice(text, kind_words(languages), languages) is None:
        return False
    return intent != "thank" or names_area or _names_praise(text, languages)


def _says_wish(text: str, languages: list[str]) -> bool:
    """True when ``text`` says the resident wants to give feedback (the lexicon's ``complain_wish`` phrases).

    For a status question, and for an unsure reading: "jag vill lämna en synpunkt" (I want to give feedback, no kind
    named) was the question about how to complain at 0.36 after the tenth session's examples, a tie with the
    complaint.
    """
    return read_choice(text, {"wish": group_words("complain_wish", languages)}, languages) is not None


def _names_praise(text: str, languages: list[str]) -> bool:
    """True when ``text`` names praise by the catalog's own word for it.

    Somali "ammaan iyo mahadnaq" (praise and thanks) is a wish to give praise; "mahadsanid" (thank you)
    stays thanks.
    """
    cats = default_catalogs()
    terms = [cats.term(language, "case_kind", "praise") for language in languages]
    return read_choice(text, {"praise": terms}, languages) is not None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class FeedbackCueClassifier(GraphComponent):
    """Sets ``file_complaint`` on messages that ask to give feedback (see the module docstring).

    Place it after the intent classifier and before ``FallbackClassifier`` in ``config.yml``.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FeedbackCueClassifier:
        """Rasa's constructor of graph components (no configuration, nothing trained)."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Change the intent of feedback messages to ``file_complaint`` (confidence 1), in place."""
        for message in messages:
            intent = message.get("intent") or {}
            metadata = message.get("metadata") or {}
            language = metadata.get("language") if isinstance(metadata, dict) else None
            text = str(message.get("text") or "")
            if not wants_feedback(text, language, intent.get("name"), float(intent.get("confidence") or 0.0)):
                continue
            chosen = {"name": FEEDBACK_INTENT, "confidence": 1.0}
            ranking = [entry for entry in message.get("intent_ranking") or [] if entry.get("name") != FEEDBACK_INTENT]
            message.set("intent", chosen, add_to_output=True)
            message.set("intent_ranking", [chosen, *ranking], add_to_output=True)
        return messages
