"""Understanding in every language: the trained model on the held-out sets (tests/nlu/<lang>.yml).

Uses the cached model of the current inputs (`make test` trains it first when the data changed).
"""

import pytest

from bot.core.catalog import Catalogs
from bot.core.settings import PROJECT_ROOT, Settings
from bot.ops.training import cached_model
from tools.bench.nlu import NONSENSE_ACCEPTED_MAX, TARGET_ACCURACY, _agent, evaluate, nonsense_accepted, predicted_label

LANGUAGES = {"sv", "en", "ar", "fa", "so", "ti", "pl", "uk", "fi"}


@pytest.fixture(scope="module")
def model():
    found = cached_model(PROJECT_ROOT, Settings.from_env().model_cache_dir)
    assert found is not None, "no trained model for the current inputs: run `make train`"
    return found


async def test_every_language_reaches_the_accuracy_target(model):
    results = await evaluate(model, PROJECT_ROOT / "tests" / "nlu")
    assert {r.language for r in results} == LANGUAGES
    for result in results:
        assert len(result.pairs) >= 26 * 5, result.language  # ≥ 5 per intent and FAQ key
        assert result.accuracy >= TARGET_ACCURACY, (result.language, result.accuracy, result.confusions())


async def test_keyboard_mash_mostly_falls_back(model):
    # The fallback threshold must not buy accuracy by reading nonsense as an intent (e.g. affirm).
    assert await nonsense_accepted(model) <= NONSENSE_ACCEPTED_MAX


async def test_every_text_button_of_the_catalogs_is_understood(model):
    # Buttons whose payload is text (not "/intent") go through NLU: a button that falls back would
    # answer "I did not understand" to a resident who only pressed what the bot offered.
    catalogs = Catalogs()
    payloads = {
        (code, button["payload"])
        for code in catalogs.languages
        for response in catalogs.get(code).responses.values()
        if isinstance(response.get("buttons"), list)  # not "languages" / "areas": those send /intent payloads
        for button in response["buttons"]
        if not button["payload"].startswith("/")
    }
    assert len(payloads) >= 9
    agent = await _agent(model)
    misread = {}
    for language, payload in sorted(payloads):
        label = predicted_label(await agent.parse_message(payload))
        if not label.startswith("faq_"):  # every text button is a frequently asked question
            misread[(language, payload)] = label
    assert misread == {}
