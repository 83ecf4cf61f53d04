"""The one place a new case's check code is in clear after the action server: the reply pushed to the resident.

The action sends Rasa the code masked (``••••-••Z9``, catalog ``check_code_masked``) and adds a custom
payload ``{"gateway": {"reveal": {"shown": <masked text>, "sealed": <sealed code>}}}``
(:func:`bot.core.internal_keys.seal`). Rasa's tracker, the gateway's transcript and the staff console
keep the masked text; only the event pushed to the resident's open sockets carries the opened code, so
the code is shown once and a resumed chat shows it masked.

The other way, a check code the resident types for a status lookup is masked by the gateway before it
is stored (:meth:`bot.chat.intake.Intake.receive`); :data:`CHECK_CODE_QUESTION` marks the question it answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.core.internal_keys import unseal

CHECK_CODE_QUESTION = "check_code"
"""The instruction ``{"gateway": {"asks": "check_code"}}`` of ``action_ask_status_check_code``, kept as
``payload.asks`` of the bot's question: the resident's answer is a check code, stored masked."""


def reveals(replies: Iterable[dict[str, Any]], secret: str) -> dict[str, str]:
    """Masked text → clear code, from the ``reveal`` instructions among Rasa's replies of one turn.

    A sealed code that cannot be opened (another secret, too old, tampered with) is left out: the
    resident then sees the masked text, never an error.
    """
    found: dict[str, str] = {}
    for reply in replies:
        custom = reply.get("custom")
        gateway = custom.get("gateway") if isinstance(custom, dict) else None
        reveal = gateway.get("reveal") if isinstance(gateway, dict) else None
        if not isinstance(reveal, dict) or not isinstance(reveal.get("shown"), str) or not reveal["shown"]:
            continue
        code = unseal(secret, reveal.get("sealed"))
        if code is not None:
            found[reveal["shown"]] = code
    return found


def reveal_text(text: str, found: dict[str, str]) -> str:
    """``text`` with every masked code of ``found`` replaced by the clear code."""
    for shown, code in found.items():
        text = text.replace(shown, code)
    return text
