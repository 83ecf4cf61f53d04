"""Handing the conversation over to a person: a logged case, the bot pauses, the gateway waits."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.complaint import AREA, DESCRIPTION, DESCRIPTION_LANGUAGE, FILED_KINDS, KIND, cleared_form
from actions.store import catalogs, hand_off, language_of, local_now, profile
from bot.core.foreign import FOREIGN
from bot.core.foreign import language_name as foreign_name
from bot.core.workdays import is_open

INTERPRETER_LANGUAGE = "interpreter_language"
"""Slot set by the interpreter offer's button: a language we do not speak (:data:`bot.core.foreign.FOREIGN`)."""


class ActionHandoff(Action):
    """``action_handoff``: log a case waiting for staff, pause Rasa and tell the gateway.

    The custom payload ``{"gateway": {"mode": "waiting", "reference": …}}`` switches the gateway's
    conversation to ``waiting``: from then on resident messages go to staff, not to Rasa. Outside the
    profile's opening hours the resident is told by which date they will be contacted.
    """

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Create or reopen the case (kind ``question``, status ``waiting_for_staff``) and pause the bot.

        What the resident already answered in the complaint form (kind, area, description) goes into
        the case, and the form's slots are emptied: the case officer takes it from here. Within
        opening hours the resident hears their place in the queue and the estimated wait; outside
        them, that the case is logged and by which date they will be contacted. After the interpreter
        offer's button (slot ``interpreter_language``) the case carries that language and "interpreter
        needed", and the resident is told so.
        """
        language = language_of(tracker)
        last_text = str((tracker.latest_message or {}).get("text") or "")
        if last_text.startswith("/"):  # a button's payload, not what the resident wrote
            last_text = ""
        interpreter = tracker.get_slot(INTERPRETER_LANGUAGE)
        interpreter = interpreter if interpreter in FOREIGN else None
        kind = tracker.get_slot(KIND)
        handed = await hand_off(
            dispatcher,
            tracker,
            kind=kind if kind in FILED_KINDS else "question",
            area=tracker.get_slot(AREA),
            description=str(tracker.get_slot(DESCRIPTION) or last_text),
            description_language=tracker.get_slot(DESCRIPTION_LANGUAGE),
            interpreter_language=interpreter,
        )
        if handed is None:
            return []
        case, position, wait = handed
        dispatcher.utter_message(json_message={"gateway": {"mode": "waiting", "reference": case.reference}})
        if is_open(profile().opening_hours, local_now()):
            dispatcher.utter_message(
                response="utter_handoff", reference=case.reference, position=position, wait_minutes=wait
            )
        else:
            dispatcher.utter_message(
                response="utter_handoff_closed",
                reference=case.reference,
                acknowledgement_due=catalogs().format_date(case.acknowledgement_due, language),
            )
        if interpreter:
            dispatcher.utter_message(
                response="utter_interpreter_noted", interpreter=foreign_name(interpreter, language)
            )
        return [*cleared_form(), SlotSet("case_reference", case.reference), ConversationPaused()]
