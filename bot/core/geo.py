"""The municipality's map area (profile section ``map``): where a shared position may lie, and map links.

A position a resident shares (the browser's geolocation, or a photo's own GPS tag when the resident
agrees) is kept only when it lies inside the municipality's area, so a wrong fix or a position far
away is refused with a message instead of sending a case officer to another town.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_ACCURACY_M = 100_000.0
"""Accuracies above this (metres) are stored as this: a fix that vague only says "somewhere in the area"."""


class MapAreaError(ValueError):
    """The profile's ``map`` section has the wrong shape (the message names the field)."""


@dataclass(frozen=True)
class MapArea:
    """The municipality's area and the link staff follow to see a position on a map.

    ``polygon``: the area's outline as ``(latitude, longitude)`` corners in WGS 84 degrees (a
    bounding box is the four-corner case); ``map_url``: a template with ``{lat}`` and ``{lon}``
    (e.g. ``https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}``). Staff
    pages only link to it; no map tiles are embedded in our pages.
    """

    polygon: tuple[tuple[float, float], ...]
    map_url: str

    def contains(self, latitude: float, longitude: float) -> bool:
        """True when the point lies inside the polygon (ray casting; edges count as inside)."""
        inside = False
        corners = self.polygon
        for (lat1, lon1), (lat2, lon2) in zip(corners, corners[1:] + corners[:1], strict=True):
            if (lon1 > longitude) != (lon2 > longitude):
                crossing = lat1 + (longitude - lon1) * (lat2 - lat1) / (lon2 - lon1)
                if latitude <= crossing:
                    inside = not inside
        return inside or (latitude, longitude) in corners

    def link(self, latitude: float, longitude: float) -> str:
        """The map link of a position (coordinates with 6 decimals, about 0.1 m)."""
        return self.map_url.replace("{lat}", f"{latitude:.6f}").replace("{lon}", f"{longitude:.6f}")


def valid_coordinates(latitude: Any, longitude: Any, accuracy: Any) -> tuple[float, float, float] | None:
    """``(latitude, longitude, accuracy in metres)`` when all three are finite numbers in range, else ``None``."""
    try:
        lat, lon, acc = float(latitude), float(longitude), float(accuracy)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (lat, lon, acc)) or not (-90 <= lat <= 90 and -180 <= lon <= 180) or acc < 0:
        return None
    return lat, lon, min(acc, MAX_ACCURACY_M)


def parse_map_area(section: Any) -> MapArea | None:
    """The profile's ``map`` section as a :class:`MapArea`; a missing section → ``None`` (positions are refused).

    The section has ``bounding_box: [south, west, north, east]`` or ``polygon: [[lat, lon], …]``, and
    ``url`` (a template with ``{lat}`` and ``{lon}``).

    Raises:
        MapAreaError: the section has the wrong shape.
    """
    if section is None:
        return None
    if not isinstance(section, dict):
        raise MapAreaError("profile: 'map' must be a mapping with 'bounding_box' or 'polygon' and 'url'")
    url = section.get("url")
    if not isinstance(url, str) or not url.startswith("https://") or "{lat}" not in url or "{lon}" not in url:
        raise MapAreaError("profile: 'map.url' must be an https address with {lat} and {lon}")
    try:
        if "polygon" in section:
            corners = tuple((float(lat), float(lon)) for lat, lon in section["polygon"])
            if len(corners) < 3:
                raise ValueError
        else:
            south, west, north, east = (float(v) for v in section["bounding_box"])
            if south >= north or west >= east:
                raise ValueError
            corners = ((south, west), (north, west), (north, east), (south, east))
    except (KeyError, TypeError, ValueError):
        raise MapAreaError(
            "profile: 'map' needs 'bounding_box: [south, west, north, east]' or 'polygon: [[lat, lon], …]'"
        ) from None
    return MapArea(polygon=corners, map_url=url)
