"""Server-rendered SVG bar charts (issue 17): escaped, accessible, bars proportional to the values."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from bot.web.charts import HEIGHT, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_every_text_is_escaped_and_the_chart_is_well_formed_svg():
    svg = bar_chart(
        "chart-x",
        '<script>alert("t")</script>',
        "desc & </desc><script>",
        [Bar('<img src=x onerror="a()">', 3, "3 & more"), Bar("v. 2", None, "–")],
    )
    assert "<script" not in svg and "<img" not in svg and 'onerror="' not in svg
    root = ET.fromstring(str(svg))  # parses: nothing broke out of its element
    assert root.get("role") == "img" and root.get("aria-labelledby") == "chart-x-title chart-x-desc"
    assert root.find(f"{SVG}title").text == '<script>alert("t")</script>'
    assert root.find(f"{SVG}desc").text == "desc & </desc><script>"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["3 & more", '<img src=x onerror="a()">', "–", "v. 2"]


def test_bars_show_the_values_in_proportion_and_no_bar_without_data():
    svg = str(
        bar_chart("chart-y", "t", "d", [Bar("a", 10, "10"), Bar("b", 5, "5"), Bar("c", None, "–"), Bar("d", 0, "0")])
    )
    values = re.findall(r'data-value="([^"]+)"', svg)
    heights = [float(h) for h in re.findall(r'<rect[^>]* height="([^"]+)"', svg)]
    assert values == ["10", "5", "0"]  # the bar without data is not drawn
    assert heights[0] == pytest.approx(2 * heights[1]) and heights[2] == 0 and heights[0] < HEIGHT


def test_a_fixed_maximum_scales_percentages():
    svg = str(bar_chart("chart-z", "t", "d", [Bar("a", 50, "50 %"), Bar("b", 100, "100 %")], maximum=100))
    heights = [float(h) for h in re.findall(r'<rect[^>]* height="([^"]+)"', svg)]
    assert heights[1] == pytest.approx(2 * heights[0])


@pytest.mark.parametrize("bad", ["", "X", 'a" onload="x', "a b"])
def test_a_bad_id_is_refused(bad):
    with pytest.raises(ValueError):
        bar_chart(bad, "t", "d", [])
