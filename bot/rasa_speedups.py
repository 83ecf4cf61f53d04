"""Rasa's own per-turn waste, removed in our Rasa process (issue 18): same checks, done once instead of every time.

Rasa 3.6 checks every answer of the action server against a JSON schema with ``jsonschema.validate``
(``rasa.core.actions.action.RemoteAction._validate_action_result``). That function checks the *schema
itself* against the JSON Schema meta-schema before it checks the answer, on every call: 20 ms of CPU per
action call on these machines against 0.8 ms for the answer alone (docs/benchmarks.md), and a form turn
makes two calls. Profiled under load (py-spy on the embedded stack's Rasa process), this was the largest
single cost of a turn, ahead of the intent classifiers. :func:`install` replaces the method by one that checks the
schema once and every answer as before, with the same error (``jsonschema.ValidationError``, the best match,
with Rasa's hint appended).

Installed by :class:`bot.nlg.CatalogNaturalLanguageGenerator` when Rasa builds it, so only the assistant's Rasa
processes have it; the load benchmark's bare ``rasa run`` keeps Rasa as shipped.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_SHIPPED: Any = None
"""Rasa's own ``RemoteAction._validate_action_result`` while :func:`install` has replaced it, else ``None``."""


@lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    """A validator of Rasa's action server answer format, its schema checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the schema checked once; same answer, same errors.

    Raises:
        jsonschema.ValidationError: the action server's answer does not have Rasa's format (message as Rasa's).
    """
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action endpoint "
        f"is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Replace Rasa's per-call schema check of action answers by :func:`validate_action_result` (idempotent)."""
    global _SHIPPED
    if _SHIPPED is not None:
        return
    from rasa.core.actions.action import RemoteAction

    _action_result_validator()
    _SHIPPED = RemoteAction._validate_action_result
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def uninstall() -> None:
    """Put Rasa's own check back (tests compare the two)."""
    global _SHIPPED
    if _SHIPPED is None:
        return
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _SHIPPED  # type: ignore[method-assign]
    _SHIPPED = None
