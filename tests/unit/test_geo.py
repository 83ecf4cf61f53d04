"""The municipality's map area (profile section ``map``): which shared positions are kept, and the map link."""

from __future__ import annotations

import pytest
import yaml

from bot.core.geo import parse_map_area, valid_coordinates
from bot.core.profile import ProfileError, load_profile, parse_profile
from bot.core.settings import PROJECT_ROOT

URL = "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}"


def test_a_bounding_box_keeps_positions_inside_and_builds_the_map_link():
    area = parse_map_area({"bounding_box": [59.2, 17.8, 59.45, 18.2], "url": URL})
    assert area.contains(59.3293, 18.0686) and not area.contains(57.7, 11.97)
    assert area.link(59.3293, 18.0686) == "https://www.openstreetmap.org/?mlat=59.329300&mlon=18.068600"


def test_a_polygon_follows_the_outline_not_its_bounding_box():
    triangle = parse_map_area({"polygon": [[59.0, 18.0], [60.0, 18.0], [59.0, 19.0]], "url": URL})
    assert triangle.contains(59.2, 18.2)
    assert not triangle.contains(59.9, 18.9)  # inside the box around it, outside the triangle


@pytest.mark.parametrize(
    "section",
    [
        {"bounding_box": [59.45, 17.8, 59.2, 18.2], "url": URL},  # south above north
        {"bounding_box": [59.2, 17.8], "url": URL},
        {"polygon": [[59.0, 18.0], [60.0, 18.0]], "url": URL},
        {"bounding_box": [59.2, 17.8, 59.45, 18.2], "url": "http://maps.example/{lat}"},
        "a box",
    ],
)
def test_a_malformed_map_section_stops_the_start_with_a_message(section):
    data = dict(yaml.safe_load((PROJECT_ROOT / "profiles" / "example.yml").read_text(encoding="utf-8")))
    data["map"] = section
    with pytest.raises(ProfileError, match="map"):
        parse_profile(data)


def test_the_example_profile_has_an_area_and_coordinates_are_checked():
    assert load_profile(PROJECT_ROOT / "profiles" / "example.yml").map_area is not None
    assert valid_coordinates("59.3", 18.0, 12) == (59.3, 18.0, 12.0)
    assert valid_coordinates(91, 18.0, 12) is None and valid_coordinates(59.3, float("nan"), 1) is None
    assert valid_coordinates(59.3, 18.0, -1) is None and valid_coordinates(None, 18.0, 1) is None
