"""The reply time by department (issue 15, item 6): the range over departments, or the named one's own."""

from __future__ import annotations

from dataclasses import replace

from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionFaqResponseTime
from bot.core.catalog import reply_days_range
from tests.helpers.trackers import responses, tracker

DOMAIN: dict = {"slots": {"language": {}, "complaint_area": {}}, "forms": {}}


def test_the_answer_names_the_range_over_departments(catalogs, profile):
    assert reply_days_range(profile) == "5–15"  # waste 5, school and building 15
    assert catalogs.profile_values(profile, "fa")["reply_days_range"] == "5 تا 15"
    same = replace(profile, departments=tuple(replace(d, reply_working_days=None) for d in profile.departments))
    assert reply_days_range(same) == str(profile.reply_working_days)
    values = catalogs.profile_values(profile, "sv")
    for code in catalogs.languages:
        text = catalogs.response("utter_faq_response_time", code, catalogs.profile_values(profile, code))["text"]
        assert "{" not in text and "15" in text and "5" in text, code
    assert "5–15 arbetsdagar" in catalogs.response("utter_faq_response_time", "sv", values)["text"]


async def test_a_named_department_gets_its_own_reply_time():
    school = CollectingDispatcher()
    await ActionFaqResponseTime().run(
        school, tracker({"language": "sv"}, text="Hur lång tid tar det för skolan att svara?"), DOMAIN
    )
    assert responses(school) == ["utter_faq_response_time_area"]
    assert school.messages[0]["reply_days"] == 15 and school.messages[0]["area_name"] == "Förskola och skola"
    waste = CollectingDispatcher()
    in_form = tracker({"language": "en", "complaint_area": "waste"}, text="how long until you answer?")
    await ActionFaqResponseTime().run(waste, in_form, DOMAIN)
    assert waste.messages[0]["reply_days"] == 5 and waste.messages[0]["area_name"] == "Waste and recycling"


async def test_no_department_named_gives_the_range():
    dispatcher = CollectingDispatcher()
    await ActionFaqResponseTime().run(dispatcher, tracker({"language": "sv"}, text="När får jag svar?"), DOMAIN)
    assert responses(dispatcher) == ["utter_faq_response_time"]


def test_the_department_answer_renders_in_every_language(catalogs, profile):
    for code in catalogs.languages:
        values = {**catalogs.profile_values(profile, code), "area_name": "X", "reply_days": 5}
        text = catalogs.response("utter_faq_response_time_area", code, values)["text"]
        assert "{" not in text and "5" in text, code
