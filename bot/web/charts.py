"""Bar charts as inline SVG, rendered on the server: no script, no chart library, nothing fetched.

Accessible the way WAI's "Accessible SVG" and the SVG 2 specification describe: ``role="img"``, a
``<title>`` and a ``<desc>`` (with every value in words) referenced by ``aria-labelledby``; the page shows
the same numbers in a table as well. Every text is escaped (:meth:`markupsafe.Markup.format`); ids are checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH, HEIGHT = 480, 220
"""The chart's user units (it scales to its box)."""
TOP, BOTTOM, SIDE = 24, 36, 8
"""Room for the value above a bar, the label below, and the sides."""

_ID = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


@dataclass(frozen=True)
class Bar:
    """One bar: its ``label`` under it, its ``value`` (``None``: no data, no bar) and how the value is written."""

    label: str
    value: float | None
    text: str


def bar_chart(chart_id: str, title: str, desc: str, bars: Sequence[Bar], maximum: float | None = None) -> Markup:
    """An SVG bar chart: one bar per entry of ``bars``, scaled to ``maximum`` (default: the largest value).

    ``title`` names the chart; ``desc`` describes it (put the values in it: a screen reader reads it).

    Raises:
        ValueError: ``chart_id`` is not a short lower-case id (``[a-z][a-z0-9-]*``).
    """
    if not _ID.match(chart_id):
        raise ValueError(f"bad chart id {chart_id!r}")
    top = maximum if maximum is not None else max((b.value for b in bars if b.value is not None), default=0.0)
    top = top or 1.0
    plot = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - 2 * SIDE) / max(len(bars), 1)
    width = slot * 0.6
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" '
            'aria-labelledby="{id}-title {id}-desc" id="{id}"><title id="{id}-title">{title}</title>'
            '<desc id="{id}-desc">{desc}</desc><line class="axis" x1="{side}" y1="{base}" x2="{right}" y2="{base}"/>'
        ).format(w=WIDTH, h=HEIGHT, id=chart_id, title=title, desc=desc, side=SIDE, base=TOP + plot, right=WIDTH - SIDE)
    ]
    for index, bar in enumerate(bars):
        centre = f"{SIDE + slot * index + slot / 2:.1f}"
        height = 0.0 if bar.value is None else plot * max(0.0, min(bar.value, top)) / top
        y = TOP + plot - height
        if bar.value is not None:
            parts.append(
                Markup(
                    '<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" data-value="{v:g}"/>'
                ).format(x=float(centre) - width / 2, y=y, w=width, h=height, v=bar.value)
            )
        parts.append(
            Markup('<text x="{x}" y="{y:.1f}" text-anchor="middle">{text}</text>').format(
                x=centre, y=y - 6, text=bar.text
            )
        )
        parts.append(
            Markup('<text x="{x}" y="{y}" text-anchor="middle">{text}</text>').format(
                x=centre, y=HEIGHT - 12, text=bar.label
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
