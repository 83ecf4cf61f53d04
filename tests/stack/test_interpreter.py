"""Residents who write in a language we do not speak (issue 15): the interpreter offer, then a case for a person.

Over the real WebSocket with Rasa and the action server: a Turkish and a Russian resident get the offer in Swedish
and English instead of an answer in the nearest supported language, press its button, and the case in
`python -m bot cases list --json` carries their language and "interpreter needed".
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.core.settings import PROJECT_ROOT
from tests.helpers.chat import open_chat
from tests.helpers.ready import wait_ready

READY_TIMEOUT = 240.0


@pytest.mark.parametrize(
    ("text", "language", "swedish", "english"),
    [
        ("Merhaba, çöpüm toplanmadı", "tr", "turkiska", "Turkish"),
        ("Здравствуйте, мой мусор не вывезли", "ru", "ryska", "Russian"),
    ],
)
async def test_a_resident_of_another_language_leaves_a_case_with_interpreter_needed(
    stack, text, language, swedish, english
):
    await wait_ready(stack["url"], READY_TIMEOUT)
    async with open_chat(stack["url"], "sv") as resident:
        await resident.send(text)
        offer = await resident.next(lambda e: e.get("sender") == "bot", timeout=60)
        assert f"Tyvärr kan jag inte {swedish}" in offer["text"] and f"I do not speak {english}" in offer["text"]
        assert "gratis" in offer["text"] and "free of charge" in offer["text"]
        assert not any(e["type"] == "language" for e in resident.events)  # no switch to a language it is not
        button = offer["buttons"][0]
        replies = await resident.say(button["payload"])
        texts = [r["text"] for r in replies]
        assert any("SYN-" in t for t in texts), texts
        assert texts[-1] == f"I ditt ärende står att du behöver tolk på {swedish}."
        assert any(e["type"] == "mode" and e["mode"] == "waiting" for e in resident.events)

    listing = subprocess.run(
        [sys.executable, "-m", "bot", "cases", "list", "--json"],
        cwd=PROJECT_ROOT, env=stack["env"], capture_output=True, text=True, check=True,
    )  # fmt: skip
    case = next(c for c in json.loads(listing.stdout) if c["language"] == language)
    assert case["status"] == "waiting_for_staff" and case["interpreter_needed"] is True
    assert case["reply_language"] == "sv"
    assert case["transcript"][0]["text"] == text or any(m["text"] == text for m in case["transcript"])
