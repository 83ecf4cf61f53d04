from datetime import time

import pytest
import yaml

from bot.core.profile import ProfileError, load_profile, parse_profile
from bot.core.settings import PROJECT_ROOT


def example() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "profiles" / "example.yml").read_text(encoding="utf-8"))


def test_example_profile_loads(profile):
    assert profile.name == "Exempelby kommun"
    assert profile.opening_hours["thu"] == (time(8, 0), time(18, 0))
    assert "sat" not in profile.opening_hours
    assert profile.acknowledgement_working_days == 2
    assert profile.reply_working_days == 10


def test_area_reply_deadline_overrides_default(profile):
    assert profile.reply_days_for("waste") == 5
    assert profile.reply_days_for("general") == 10
    assert profile.reply_days_for(None) == 10
    assert profile.reply_days_for("no_such_area") == 10


def test_deadlines_default_when_absent():
    data = example()
    del data["deadlines"]
    parsed = parse_profile(data)
    assert (parsed.acknowledgement_working_days, parsed.reply_working_days) == (2, 10)


@pytest.mark.parametrize("field", ["phone", "email", "visiting_address", "web_form"])
def test_missing_contact_channel_is_named(field):
    data = example()
    del data["contact"][field]
    with pytest.raises(ProfileError, match=rf"contact\.{field}"):
        parse_profile(data)


def test_bad_opening_hours_are_explained():
    data = example()
    data["opening_hours"]["mon"] = ["16:00", "08:00"]
    with pytest.raises(ProfileError, match="closes before it opens"):
        parse_profile(data)
    data["opening_hours"]["mon"] = ["8", "16:00"]
    with pytest.raises(ProfileError, match=r"opening_hours\.mon"):
        parse_profile(data)
    data["opening_hours"] = {"monday": ["08:00", "16:00"]}
    with pytest.raises(ProfileError, match="unknown weekday"):
        parse_profile(data)


def test_missing_file_is_a_profile_error(tmp_path):
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("municipality: [unclosed", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(bad)


def test_widget_origins_default_to_the_web_site_and_are_checked():
    data = example()
    data["widget"] = {"allowed_origins": ["HTTPS://Www.Kommun.example:8443/", "http://intranet.kommun.example"]}
    assert parse_profile(data).widget_allowed_origins == (
        "https://www.kommun.example:8443",
        "http://intranet.kommun.example",
    )
    del data["widget"]
    data["municipality"]["website"] = "https://www.exempelby.example/start"
    assert parse_profile(data).widget_allowed_origins == ("https://www.exempelby.example",)
    data["widget"] = {"allowed_origins": ["https://www.kommun.example/chat"]}
    with pytest.raises(ProfileError, match=r"widget\.allowed_origins\[0\].*origin"):
        parse_profile(data)


def test_department_mailboxes_fall_back_to_the_general_one_then_the_contact_address(profile):
    assert profile.mailbox_for("waste") == profile.mailbox_for(None) == "kontakt@exempelby.example"
    data = example()
    for department in data["departments"]:
        if department["id"] in ("waste", "general"):
            department["email"] = f"{department['id']}@exempelby.example"
    parsed = parse_profile(data)
    assert parsed.mailbox_for("waste") == "waste@exempelby.example"
    assert parsed.mailbox_for("school") == parsed.mailbox_for("no_such_area") == "general@exempelby.example"
    data["departments"][0]["email"] = "not an address"
    with pytest.raises(ProfileError, match=r"departments\[0\]\.email"):
        parse_profile(data)
