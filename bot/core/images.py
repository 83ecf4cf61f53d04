"""Photos residents attach to a report: checked by content, re-encoded, stripped of every metadata field.

The type is decided by Pillow from the bytes (never the file name or the browser's content type); only
JPEG, PNG and WebP are taken. A file that also carries a document or script (a polyglot: PDF, HTML,
SVG, PHP inside an image) is refused, and so is an image of more than :data:`MAX_PIXELS` pixels
(decompression bomb) or a file over :data:`MAX_BYTES`. Every image is re-encoded as JPEG with the
longest side at most :data:`MAX_SIDE` pixels and no metadata at all (no EXIF: no GPS position, no
device, no time), after turning it upright by its EXIF orientation. What is stored is only pixels.
GDPR art. 5.1 c (data minimisation): a photo's hidden position or camera serial number is not needed.

The only metadata read before stripping is the GPS position, and only when the resident asked for it
(:func:`process_photo` with ``read_position=True``).
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
"""Largest file taken, in bytes (10 MiB): a phone photo is 2–6 MB. The catalogs' ``photo_too_large`` names it."""
MAX_PIXELS = 64_000_000
"""Largest image taken, in pixels (width × height; 64 MP). Beyond: a decompression bomb, refused unread."""
MAX_SIDE = 2048
"""Longest side of the stored image, in pixels: enough to see a crack in the asphalt, ~300–600 kB as JPEG."""
JPEG_QUALITY = 82
FORMATS = ("JPEG", "PNG", "WEBP")
"""Formats Pillow must recognise in the bytes; anything else is refused."""

_FOREIGN = re.compile(rb"%PDF-|<\s*(?:html|script|svg|iframe|object|embed|body)\b|<\?php|<!doctype", re.IGNORECASE)
"""Markers of a document or script hidden in an image file (a polyglot)."""

_GPS_IFD = 0x8825


class ImageRejected(ValueError):
    """The file is not taken. ``reason`` is ``not_image``, ``too_large`` or ``too_many_pixels``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Photo:
    """A re-encoded photo: JPEG ``data``, its ``sha256`` hex digest, and its size in pixels.

    ``position``: the GPS position read from the original (``(latitude, longitude)`` in degrees), ``None``
    unless asked for and present.
    """

    data: bytes
    sha256: str
    width: int
    height: int
    position: tuple[float, float] | None = None
    content_type: str = "image/jpeg"


def _degrees(value: Any, ref: Any) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    return -result if str(ref).upper() in ("S", "W") else result


def gps_position(image: Image.Image) -> tuple[float, float] | None:
    """The EXIF GPS position of ``image`` as ``(latitude, longitude)`` degrees, ``None`` when it has none."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
    except Exception:  # noqa: BLE001 - a broken EXIF block is the same as none
        return None
    latitude = _degrees(gps.get(2), gps.get(1))
    longitude = _degrees(gps.get(4), gps.get(3))
    if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
        return None
    return latitude, longitude


def process_photo(raw: bytes, read_position: bool = False) -> Photo:
    """Check ``raw`` and re-encode it (see the module docstring). CPU-bound: run it in a worker thread.

    Raises:
        ImageRejected: ``too_large`` (over :data:`MAX_BYTES`), ``not_image`` (not JPEG/PNG/WebP, broken,
            or a polyglot), ``too_many_pixels`` (over :data:`MAX_PIXELS`).
    """
    if len(raw) > MAX_BYTES:
        raise ImageRejected("too_large")
    if _FOREIGN.search(raw):
        raise ImageRejected("not_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=list(FORMATS))
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected("too_many_pixels")
            position = gps_position(image) if read_position else None
            if image.format == "JPEG":
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4 or 1/8 scale: less memory
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            if image.mode in ("RGBA", "LA", "P"):
                image = image.convert("RGBA")
                background = Image.new("RGB", image.size, (255, 255, 255))
                background.paste(image, mask=image.getchannel("A"))
                image = background
            elif image.mode != "RGB":
                image = image.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, ImageRejected):
            raise
        raise ImageRejected("not_image") from None
    image.info = {}  # nothing of the original's metadata (comment, ICC profile, EXIF) reaches the saved file
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)  # no exif=, no icc_profile=
    data = out.getvalue()
    return Photo(data, hashlib.sha256(data).hexdigest(), image.width, image.height, position)
