"""Residents who type: whole conversations and safety triage in every language, on the running stack.

The sets in ``conversations/`` and ``triage/`` were written without looking at ``data/nlu`` (issue 14);
``python -m bot bench-dialogue`` prints the same figures as a table.
"""

from __future__ import annotations

import asyncio
from functools import cache

import pytest
import yaml

from actions.fields import normalize
from bot.core.settings import PROJECT_ROOT
from tests.helpers.stack import embedded_stack
from tools.bench.dialogue import figures, load_sets, report, run_all

HERE = PROJECT_ROOT / "tests" / "dialogue"
CONVERSATIONS = load_sets(HERE / "conversations")
TRIAGE = load_sets(HERE / "triage")
# Floors under which a change fails, per language. Task success: the bound, 90 % in every language
# (measured 100 % since run 6, docs/benchmarks.md). Triage: a message or two beyond the figures of run 8
# (recall 97–100 %, false alarms 0–7 % per language); the triage targets (tools.bench.dialogue.
# TARGET_*: 100 %, 5 %) are not reached; `make bench-dialogue` prints them and exits 1 while one is missed.
SUCCESS_FLOOR = 0.9
RECALL_FLOOR = 0.9
FALSE_ALARMS_CEILING = 0.12
SCENARIOS = (
    "school-complaint",
    "street-fault",
    "waste-first-message",
    "anonymous-praise",
    "suggestion",
    "status-lookup",
)


def test_every_language_has_the_typed_scenarios(catalogs):
    assert sorted(CONVERSATIONS) == sorted(catalogs.languages) == sorted(TRIAGE)
    for language, data in CONVERSATIONS.items():
        ids = {conversation["id"] for conversation in data["conversations"]}
        assert {f"{language}-{scenario}" for scenario in SCENARIOS} <= ids, language
    for language, data in TRIAGE.items():
        assert all(len(data[group]) >= 6 for group in ("emergency", "crisis", "care_abuse", "near_miss")), language


@cache
def _training_lines() -> frozenset[str]:
    """Every example of ``data/nlu`` (normalised), read once for both tests that compare sets with it."""
    lines = set()
    for path in (PROJECT_ROOT / "data" / "nlu").rglob("*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in str(item.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    lines.add(normalize(line.strip()[2:]))
    return frozenset(lines)


def _typed(conversations: dict, triage: dict) -> list[str]:
    """Every message of a set: what residents say and answer in ``conversations``, every triage message."""
    typed = [
        str(text)
        for data in conversations.values()
        for conversation in data["conversations"]
        for text in [*(conversation.get("says") or []), *(conversation.get("answers") or {}).values()]
    ]
    return typed + [
        str(text) for data in triage.values() for group in data.values() if isinstance(group, list) for text in group
    ]


def test_no_typed_message_is_training_data():
    training = _training_lines()
    copied = [text for text in _typed(CONVERSATIONS, TRIAGE) if len(text.split()) > 2 and normalize(text) in training]
    assert copied == []


def test_no_message_of_the_independent_sets_is_training_data():
    """Sets B–E (``set_*/``) measure the triage and the form on new writers: none of their messages is trained on.

    Short stock phrases occur in both by chance ("jag vill klaga"; "I don't want to live anymore" was in the
    crisis examples 12 days before set B was written): only messages of more than six words are compared.
    """
    training = _training_lines()
    copied = []
    for folder in sorted(HERE.glob("set_*")):
        conversations = load_sets(folder / "conversations") if (folder / "conversations").exists() else {}
        typed = _typed(conversations, load_sets(folder / "triage"))
        copied += [text for text in typed if len(text.split()) > 6 and normalize(text) in training]
    assert copied == []


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """Every typed conversation and every triage message, run once over the chat socket of a stack of its own.

    Its own stack (as `make run` starts it, SQLite in a fresh data directory): the hundreds of cases and
    handoffs it makes stay out of the queue the other stack tests look at.
    """
    data_dir = tmp_path_factory.mktemp("dialogue")
    with embedded_stack(data_dir) as url:
        outcomes, results = asyncio.run(run_all(url, data_dir / "kommun.db", CONVERSATIONS, TRIAGE))
    table = figures(outcomes, results)
    text = report(table, outcomes, results, verbose=True)
    print(text)
    (PROJECT_ROOT / "results").mkdir(exist_ok=True)
    (PROJECT_ROOT / "results" / "dialogue.md").write_text(text, encoding="utf-8")  # kept for reading after a run
    return table


@pytest.mark.timeout(2400)  # the first test runs the whole set (about 10 minutes on 2 cores)
def test_typed_conversations_reach_the_right_case_in_every_language(measured):
    low = {f.language: round(f.success, 2) for f in measured if f.success < SUCCESS_FLOOR}
    assert low == {}, f"task success below {SUCCESS_FLOOR:.0%}: {low}"


@pytest.mark.timeout(2400)
def test_triage_catches_every_crisis_and_rarely_raises_a_false_alarm(measured):
    missed = {f.language: round(f.recall, 2) for f in measured if f.recall < RECALL_FLOOR}
    alarms = {f.language: round(f.false_alarms, 2) for f in measured if f.false_alarms > FALSE_ALARMS_CEILING}
    assert (missed, alarms) == ({}, {})
