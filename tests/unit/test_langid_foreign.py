"""Languages we do not speak (issue 15, item 5): recognised on messages long enough, never on short greetings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core import langid
from bot.core.foreign import FOREIGN, interpreter_languages, language_name, rule_language
from tools.bench.langid import chat_messages

TESTS = Path(__file__).resolve().parents[1]
SAMPLES: dict[str, list[str]] = yaml.safe_load((TESTS / "langid" / "foreign.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Merhaba, çöpüm toplanmadı", "tr"),
        ("Здравствуйте, мой мусор не вывезли", "ru"),
        ("Guten Tag, mein Müll wurde nicht abgeholt", "de"),
        ("Hola, no han recogido mi basura", "es"),
        ("ስለ ማዘጋጃ ቤቱ ቅሬታ ማቅረብ እፈልጋለሁ", "am"),
        ("زه غواړم د ښاروالۍ په اړه شکایت وکړم", "ps"),
        ("دەمەوێت سکاڵا لەسەر شارەوانی بکەم", "ckb"),
        ("Ez dixwazim gilî li ser şaredariyê bikim", "ku"),
    ],
)
def test_a_first_message_in_a_language_we_do_not_speak_gets_the_interpreter_offer(text, language):
    assert langid.decide(text, "sv") == ("foreign", language)


def test_bosnian_croatian_and_serbian_are_one_interpreter():
    verdict, code = langid.decide("Kako mogu upisati dijete u školu?", "sv")
    assert verdict == "foreign" and set(interpreter_languages(code)) == {"bs", "hr", "sr"}
    assert language_name(code, "sv") == "bosniska/kroatiska/serbiska"
    assert language_name("tr", "sv") == "turkiska" and language_name("ps", "en") == "Pashto"


@pytest.mark.parametrize(
    ("text", "current"),
    [
        ("hej", "sv"),
        ("salam", "fa"),
        ("Merhaba", "sv"),  # one word: too little to call it foreign
        ("Здравствуйте", "uk"),
        ("Guten Tag", "sv"),
        ("Hej, jag vill lämna en synpunkt om snöröjningen", "sv"),
        ("I want to complain about the rubbish collection", "sv"),
        ("Chcę złożyć skargę na wywóz śmieci", "sv"),
        ("Haluan tehdä valituksen roskien keräyksestä", "sv"),
        ("Waxaan rabaa inaan cabasho ka gudbiyo qashinka", "sv"),
        ("Я хочу подати скаргу на вивезення сміття", "sv"),
        ("أريد تقديم شكوى بخصوص جمع القمامة", "sv"),
        ("می‌خواهم درباره جمع‌آوری زباله شکایت کنم", "sv"),
        ("ብዛዕባ ጉሓፍ ጥርዓን ከቕርብ እደሊ", "sv"),
        ("ana bdi a3mel shakwa 3al zbele", "sv"),  # Arabic chat alphabet stays Arabic
    ],
)
def test_our_languages_and_short_messages_are_never_foreign(text, current):
    assert langid.decide(text, current)[0] != "foreign"


@pytest.mark.parametrize(
    "text",
    [
        "Здраствуйте. Вже 2 тыжни не вывозять мусор, соптунны переповнени, воняе на весь двир. Шо за безобразие?",
        "Здравствуйте, у нас уже две недели не вывозят мусор, контейнеры переполнены",
    ],
)
def test_russian_and_ukrainian_typed_on_a_russian_keyboard_stay_in_a_ukrainian_chat(text):
    assert langid.decide(text, "uk") == ("keep", "uk")
    assert langid.foreign_language(text + " и всё воняет", strong=True, current="uk") is None
    assert langid.decide(text, "sv") == ("foreign", "ru")  # in any other chat: the interpreter offer


def test_a_chat_keeps_its_language_when_one_detector_reads_it():
    text = "Hello, garbage truck did not empty our bins on Tallvägen 7 again, this is third time!! soptunna is full"
    assert langid.decide(text, "en") == ("keep", "en")


def test_after_the_first_message_only_strong_evidence_counts():
    assert langid.foreign_language("Merhaba, çöpüm toplanmadı", strong=True) is None  # three words
    found = langid.foreign_language("Çöp kutum iki haftadır boşaltılmadı, ne yapmalıyım?", strong=True)
    assert found is not None and found.language == "tr"


def test_at_least_nine_in_ten_foreign_messages_are_not_claimed_and_every_language_has_ten():
    assert set(SAMPLES) == set(FOREIGN)
    assert all(len(texts) >= 10 for texts in SAMPLES.values())
    texts = [text for language in SAMPLES.values() for text in language]
    foreign = sum(langid.decide(text, "sv")[0] == "foreign" for text in texts)
    assert foreign / len(texts) >= 0.9


def test_no_held_out_chat_message_of_our_languages_is_called_foreign():
    called = {
        language: [m for m in messages if langid.foreign_language(m) is not None]
        for language, messages in chat_messages(TESTS).items()
    }
    assert not any(called.values()), called


def test_rules_tell_amharic_from_tigrinya_and_pashto_and_sorani_from_persian():
    assert rule_language("ልጄን ትምህርት ቤት እንዴት ማስመዝገብ እችላለሁ", "ethiopic") == "am"
    assert rule_language("ጉዳይኩም ኣብ ውሽጢ ሰሙን ክንምልሰልኩም ኢና", "ethiopic") is None  # Tigrinya
    assert rule_language("می‌خواهم شکایت کنم", "arabic") is None  # Persian
    assert rule_language("أريد أن أشتكي", "arabic") is None  # Arabic
