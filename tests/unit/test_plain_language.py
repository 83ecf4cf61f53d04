import yaml

from bot.core.catalog import Catalogs
from bot.core.settings import PROJECT_ROOT
from bot.ops.plain_language import check_language, measure


def test_lix_of_a_known_text():
    # 8 words, 2 sentences, 3 words longer than six letters: 8/2 + 100*3/8 = 41.5
    figures = measure("t", "Kommunen svarar snabbt. Vi hjälper dig gärna tillsammans!")
    assert (figures.words, figures.sentences, figures.long_words) == (8, 2, 3)
    assert figures.lix == 41.5


def test_addresses_are_not_words():
    figures = measure("t", "Mejla kontakt@exempelby.example eller läs https://www.exempelby.example/synpunkter.")
    assert figures.words == 3


def test_officialese_and_long_sentences_fail_the_gate(tmp_path, profile):
    locales = tmp_path / "locales"
    locales.mkdir()
    data = yaml.safe_load((PROJECT_ROOT / "bot" / "locales" / "sv.yml").read_text(encoding="utf-8"))
    data["responses"]["utter_goodbye"]["text"] = (
        "Ärendet kommer att handläggas och vederbörande handläggare torde därefter inkomma med "
        "ett erforderligt beslutsunderlag avseende den aktuella frågeställningen inom rimlig tid"
    )
    (locales / "sv.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    report = check_language(Catalogs(locales), profile, "sv")
    failed = " ".join(report.failures)
    assert "officialese 'vederbörande'" in failed and "officialese 'erforderligt'" in failed
    assert "utter_goodbye: LIX" in failed


def test_shipped_catalogs_pass(catalogs, profile):
    for language in catalogs.languages:
        assert check_language(catalogs, profile, language).failures == [], language
