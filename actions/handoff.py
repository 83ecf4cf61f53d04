"""Handing the conversation over to a person: a logged case, the bot pauses, the gateway waits.

Only what the system delivers is promised. "I am connecting you" and a queue place are said only when a
case officer is available now: the gateway tells with each message (``metadata.staff_available``, from
:mod:`bot.chat.presence`). Otherwise the resident hears plainly that nobody can chat now (in a crisis or
Lex Sarah case: where to get help at once, again) and is asked how we may reach them; the answer is read
by the gateway (:mod:`bot.cases.reach`), which promises a date only with a way to reach them.
"""

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
URGENT_HELP = {"crisis": "utter_crisis_nobody_now", "care_abuse": "utter_care_abuse_nobody_now"}
"""Intent → where to get help at once, said again when nobody can take the chat now."""


def staff_available(tracker: Tracker) -> bool:
    """True when the gateway said a case officer can take a chat now (``metadata.staff_available``).

    Missing metadata (no gateway in between) counts as "nobody": never promise a person who is not there.
    """
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return metadata.get("staff_available") is True


class ActionHandoff(Action):
    """``action_handoff``: log a case waiting for staff, pause Rasa and tell the gateway.

    The custom payload ``{"gateway": {"mode": "waiting", "reference": …}}`` switches the gateway's
    conversation to ``waiting``: from then on resident messages go to staff (and to the question how
    to reach the resident, :mod:`bot.cases.reach`), not to Rasa.
    """

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Create or reopen the case (kind ``question``, status ``waiting_for_staff``) and pause the bot.

        What the resident already answered in the complaint form (kind, area, description) goes into
        the case, and the form's slots are emptied: the case officer takes it from here. With a case
        officer available the resident hears their place in the queue and the estimated wait.
        Without one: that nobody can chat now (and, out of hours, that we are closed), the help lines
        again after a crisis or Lex Sarah report, and the question how we may reach them (or, when
        the case already has an address or number, by which date we contact them). Out of hours the
        department's functional mailbox is told at once; in opening hours the gateway tells it when
        the chat stays unclaimed for ``handoff.unclaimed_minutes``. After the interpreter offer's button
        (slot ``interpreter_language``) the case carries that language and "interpreter needed", and the
        resident is told so.
        """
        language = language_of(tracker)
        latest = tracker.latest_message or {}
        available = staff_available(tracker)
        open_now = is_open(profile().opening_hours, local_now())
        last_text = str(latest.get("text") or "")
        if last_text.startswith("/"):  # a button's payload, not what the resident wrote
            last_text = ""
        interpreter = tracker.get_slot(INTERPRETER_LANGUAGE)
        interpreter = interpreter if interpreter in FOREIGN else None
        kind = tracker.get_slot(KIND)
        handed = await hand_off(
            dispatcher,
            tracker,
            ask_contact=not available,
            tell_department=not available and not open_now,
            kind=kind if kind in FILED_KINDS else "question",
            area=tracker.get_slot(AREA),
            description=str(tracker.get_slot(DESCRIPTION) or last_text),
            description_language=tracker.get_slot(DESCRIPTION_LANGUAGE),
            interpreter_language=interpreter,
        )
        if handed is None:
            return []
        case, position, wait, asked = handed
        dispatcher.utter_message(json_message={"gateway": {"mode": "waiting", "reference": case.reference}})
        if available:
            dispatcher.utter_message(
                response="utter_handoff", reference=case.reference, position=position, wait_minutes=wait
            )
        else:
            intent = str((latest.get("intent") or {}).get("name") or "")
            if intent in URGENT_HELP:
                dispatcher.utter_message(response=URGENT_HELP[intent])
            closed = "utter_handoff_closed" if not open_now else "utter_handoff_nobody"
            dispatcher.utter_message(response=closed, reference=case.reference)
            due = catalogs().format_date(case.acknowledgement_due, language)
            if asked:
                dispatcher.utter_message(response="utter_ask_handoff_contact")
            elif case.contact_email or case.contact_phone:
                dispatcher.utter_message(response="utter_handoff_will_contact", acknowledgement_due=due)
        if interpreter:
            dispatcher.utter_message(
                response="utter_interpreter_noted", interpreter=foreign_name(interpreter, language)
            )
        return [*cleared_form(tracker), SlotSet("case_reference", case.reference), ConversationPaused()]
