"""Rasa's check of action server answers, with the schema checked once: the same answers pass, the same fail."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import rasa_speedups


def test_the_installed_check_accepts_and_refuses_what_rasa_does():
    rasa_speedups.uninstall()  # Rasa as shipped, whatever an earlier test (building the NLG) installed
    shipped = RemoteAction._validate_action_result
    good = {
        "events": [{"event": "slot", "name": "complaint_kind", "value": "complaint", "timestamp": None}],
        "responses": [{"response": "utter_ask_complaint_area", "buttons": []}],
    }
    bad = {"events": [{"event": 42}], "responses": []}
    action = RemoteAction("action_test", None)
    try:
        rasa_speedups.install()
        assert RemoteAction._validate_action_result is not shipped
        assert action._validate_action_result(good) is True
        with pytest.raises(ValidationError) as ours:
            action._validate_action_result(bad)
        assert "Failed to validate Action server response" in ours.value.message
    finally:
        rasa_speedups.uninstall()
    assert RemoteAction._validate_action_result is shipped
    assert shipped(action, good) is True
    with pytest.raises(ValidationError):
        shipped(action, bad)
