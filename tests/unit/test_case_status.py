"""Status lookup: reading references and check codes (the lookup on a database: tests/app)."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions import case_status as cs
from actions.case_status import ValidateCaseStatusForm
from bot.store.cases import (
    new_check_code,
    normalize_check_code,
    parse_reference,
)
from tests.helpers.trackers import responses, tracker

DOMAIN: dict = {"slots": {}, "forms": {}}


def test_reference_numbers_in_many_spellings():
    assert parse_reference("SYN-2026-00042") == "SYN-2026-00042"
    assert parse_reference("mitt ärende är syn 2026 42") == "SYN-2026-00042"
    assert parse_reference("٢٠٢٦-٤٢") == "SYN-2026-00042"
    assert parse_reference("ABC-2026-00042") is None
    assert parse_reference("hej") is None


def test_check_codes_ignore_case_spaces_and_dashes():
    code = new_check_code()
    assert len(code) == 9 and code[4] == "-"
    assert normalize_check_code(code.lower().replace("-", " ")) == code
    assert normalize_check_code("K7PQ-4XZ0") is None  # 0 is not in the alphabet
    assert normalize_check_code("K7PQ") is None


async def test_reference_and_code_in_one_message():
    form = ValidateCaseStatusForm()
    result = await form.validate_status_reference("SYN-2026-00042 k7pq 4xz9", CollectingDispatcher(), tracker(), DOMAIN)
    assert result[cs.REFERENCE] == "SYN-2026-00042" and result[cs.CHECK_CODE] == "K7PQ-4XZ9"
    wrong = CollectingDispatcher()
    assert (await form.validate_status_reference("mitt ärende", wrong, tracker(), DOMAIN))[cs.REFERENCE] is None
    assert responses(wrong) == ["utter_status_reference_invalid"]
    bad_code = CollectingDispatcher()
    assert (await form.validate_status_check_code("123", bad_code, tracker(), DOMAIN))[cs.CHECK_CODE] is None
    assert responses(bad_code) == ["utter_status_check_code_invalid"]


async def test_cleared_answers_are_not_taken_for_wrong_ones():
    form, dispatcher = ValidateCaseStatusForm(), CollectingDispatcher()
    assert await form.validate_status_reference(None, dispatcher, tracker(), DOMAIN) == {cs.REFERENCE: None}
    assert await form.validate_status_check_code(None, dispatcher, tracker(), DOMAIN) == {cs.CHECK_CODE: None}
    assert dispatcher.messages == []


FORM_DOMAIN: dict = {
    "slots": {slot: {"mappings": [{"type": "from_text"}]} for slot in (cs.REFERENCE, cs.CHECK_CODE)},
    "forms": {"case_status_form": {"required_slots": [cs.REFERENCE, cs.CHECK_CODE]}},
}


async def test_the_validation_names_the_next_question_so_rasa_does_not_validate_twice_at_the_start():
    # At the start nothing is typed yet: the first question is named (before issue 18 the action returned
    # no event, and Rasa's form posted the same validation a second time).
    start = tracker(text="hur går det med mitt ärende?", intent="check_case_status")
    events = await ValidateCaseStatusForm().run(CollectingDispatcher(), start, FORM_DOMAIN)
    assert events == [{"event": "slot", "timestamp": None, "name": "requested_slot", "value": cs.REFERENCE}]
    both = tracker({cs.REFERENCE: "SYN-2026-00042", cs.CHECK_CODE: "K7PQ-4XZ9"})
    done = await ValidateCaseStatusForm().run(CollectingDispatcher(), both, FORM_DOMAIN)
    assert done[-1] == {"event": "slot", "timestamp": None, "name": "requested_slot", "value": None}
