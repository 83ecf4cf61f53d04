"""The workflow of a case and its chat, as data: statuses, chat modes and the changes each action makes.

The store's conditional ``UPDATE … WHERE`` statements take their allowed "from" states from the
:class:`Transition` of the action (:mod:`bot.store.queue`, :mod:`bot.store.desk`), so a change that is
not allowed from where the case is now changes nothing and raises :class:`StaleCase`.

Case statuses: ``received`` (logged, handled by its deadlines), ``waiting_for_staff`` (in the live
queue), ``in_progress`` (a case officer has it), ``closed`` (final: only retention touches it later).
Chat modes (of the conversation): ``bot`` (Rasa answers), ``waiting`` (handed off, waiting for a case
officer), ``human`` (a case officer chats), ``closed`` (the live chat ended; the next message starts
over with the bot).
"""

from __future__ import annotations

from dataclasses import dataclass

RECEIVED, WAITING_FOR_STAFF, IN_PROGRESS, CLOSED = "received", "waiting_for_staff", "in_progress", "closed"
CASE_STATUSES = (RECEIVED, WAITING_FOR_STAFF, IN_PROGRESS, CLOSED)
OPEN_STATUSES = (RECEIVED, WAITING_FOR_STAFF, IN_PROGRESS)
"""Statuses of a case that is not closed."""
STAFF_STATUSES = (RECEIVED, IN_PROGRESS, CLOSED)
"""Statuses a case officer may choose (``waiting_for_staff`` belongs to the handoff itself)."""

BOT, WAITING, HUMAN, CHAT_CLOSED = "bot", "waiting", "human", "closed"
MODES = (BOT, WAITING, HUMAN, CHAT_CLOSED)
"""Chat modes of a conversation."""
LIVE_MODES = (WAITING, HUMAN)
"""Chat modes in which a person, not the bot, answers the resident."""


@dataclass(frozen=True)
class Transition:
    """A change one action makes: from any of ``sources`` to ``target``."""

    sources: tuple[str, ...]
    target: str

    def allows(self, current: str | None) -> bool:
        """True when the action may start from ``current``."""
        return current in self.sources


# -- case statuses -----------------------------------------------------------------------------------

HANDOFF = Transition(OPEN_STATUSES, WAITING_FOR_STAFF)
"""The resident asks for a person: a new case, or the conversation's open case back in the queue."""
CLAIM = Transition((WAITING_FOR_STAFF,), IN_PROGRESS)
"""A case officer takes a waiting chat (exactly one wins)."""
RESIDENT_LEFT = Transition((WAITING_FOR_STAFF,), RECEIVED)
"""The resident left before anybody came: the case leaves the live queue and keeps its deadlines."""
SET_BY_HAND = {status: Transition(OPEN_STATUSES, status) for status in STAFF_STATUSES if status != CLOSED}
"""A case officer sets the status by hand (closing has its own action, with a resolution)."""
CLOSE = Transition(OPEN_STATUSES, CLOSED)
"""A case officer closes the case with a resolution."""
REASSIGNABLE = (RECEIVED, IN_PROGRESS)
"""Statuses in which a supervisor may give a case to another case officer (a waiting chat is claimed instead)."""

# -- chat modes --------------------------------------------------------------------------------------

CHAT_ENDED = Transition(LIVE_MODES, CHAT_CLOSED)
"""Closing the case ends its live chat."""
CHAT_HANDED_BACK = Transition(LIVE_MODES, BOT)
"""A case officer gives the live chat back to the bot."""
CHAT_REOPENED = Transition((CHAT_CLOSED,), BOT)
"""The resident writes again after a live chat ended: the bot answers."""

CASE_TRANSITIONS = (HANDOFF, CLAIM, RESIDENT_LEFT, *SET_BY_HAND.values(), CLOSE)
CHAT_TRANSITIONS = (CHAT_ENDED, CHAT_HANDED_BACK, CHAT_REOPENED)


def allowed_changes(transitions: tuple[Transition, ...]) -> dict[str, set[str]]:
    """``{from: {to, …}}``: every change the ``transitions`` allow (the workflow as a table)."""
    table: dict[str, set[str]] = {}
    for transition in transitions:
        for source in transition.sources:
            table.setdefault(source, set()).add(transition.target)
    return table


class StaleCase(Exception):
    """The case changed since the staff member looked at it (``current`` is its status now)."""

    def __init__(self, reference: str, current: str | None) -> None:
        super().__init__(f"{reference} is now {current}")
        self.reference = reference
        self.current = current
