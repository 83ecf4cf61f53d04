"""Understanding in every language: the trained model on the held-out sets (tests/nlu/<lang>.yml).

Uses the cached model of the current inputs (`make test` trains it first when the data changed).
"""

from bot.bench_nlu import NONSENSE_ACCEPTED_MAX, TARGET_ACCURACY, evaluate, nonsense_accepted
from bot.settings import PROJECT_ROOT, Settings
from bot.training import cached_model

LANGUAGES = {"sv", "en", "ar", "fa", "so", "ti", "pl", "uk", "fi"}


async def test_every_language_reaches_the_accuracy_target():
    model = cached_model(PROJECT_ROOT, Settings.from_env().model_cache_dir)
    assert model is not None, "no trained model for the current inputs: run `make train`"
    results = await evaluate(model, PROJECT_ROOT / "tests" / "nlu")
    assert {r.language for r in results} == LANGUAGES
    for result in results:
        assert len(result.pairs) >= 26 * 5, result.language  # ≥ 5 per intent and FAQ key
        assert result.accuracy >= TARGET_ACCURACY, (result.language, result.accuracy, result.confusions())


async def test_keyboard_mash_mostly_falls_back():
    # The fallback threshold must not buy accuracy by reading nonsense as an intent (e.g. affirm).
    model = cached_model(PROJECT_ROOT, Settings.from_env().model_cache_dir)
    assert model is not None, "no trained model for the current inputs: run `make train`"
    assert await nonsense_accepted(model) <= NONSENSE_ACCEPTED_MAX


async def test_every_text_button_of_the_catalogs_is_understood():
    # Buttons whose payload is text (not "/intent") go through NLU: a button that falls back would
    # answer "I did not understand" to a resident who only pressed what the bot offered.
    import re

    from bot.bench_nlu import _agent, predicted_label

    model = cached_model(PROJECT_ROOT, Settings.from_env().model_cache_dir)
    assert model is not None, "no trained model for the current inputs: run `make train`"
    agent = await _agent(model)
    payloads = set()
    for path in sorted((PROJECT_ROOT / "bot" / "locales").glob("*.yml")):
        payloads |= {(path.stem, p) for p in re.findall(r'payload: "([^/"][^"]*)"', path.read_text(encoding="utf-8"))}
    assert len(payloads) >= 9
    misread = {}
    for language, payload in sorted(payloads):
        label = predicted_label(await agent.parse_message(payload))
        if not label.startswith("faq_"):  # every text button is a frequently asked question
            misread[(language, payload)] = label
    assert misread == {}
