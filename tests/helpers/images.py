"""Image files for the photo tests: a phone-like JPEG with EXIF (GPS, device), and the bad inputs of issue 20."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

MAKE, MODEL = 0x010F, 0x0110
GPS_IFD = 0x8825


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round(((value - degrees) * 60 - minutes) * 60, 4)


def phone_jpeg(
    size: tuple[int, int] = (3000, 2000),
    position: tuple[float, float] | None = (59.3293, 18.0686),
    comment: bytes = b"",
) -> bytes:
    """A JPEG like a phone's: EXIF with the device (Make, Model) and, unless ``None``, a GPS position."""
    image = Image.new("RGB", size, (200, 120, 40))
    for x in range(0, size[0], 50):  # some structure, so it is not a trivially small file
        image.paste((20, 80, 160), (x, 0, x + 10, size[1]))
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = "PhoneMaker", "Model X serial 1234"
    if position is not None:
        exif[GPS_IFD] = {1: "N", 2: _dms(position[0]), 3: "E", 4: _dms(position[1])}
    out = io.BytesIO()
    extra = {"comment": comment} if comment else {}
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90, **extra)
    return out.getvalue()


def png_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A small PNG file that claims ``width`` × ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    rows = zlib.compress(b"\x00" * (1 + width // 8) * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


PDF_AS_JPG = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML_AS_JPG = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def polyglot() -> bytes:
    """A valid JPEG that is also an HTML page (a script in its comment segment)."""
    return phone_jpeg((200, 200), None, comment=b"<html><script>alert(1)</script></html>")


def oversized(megabytes: int = 11) -> bytes:
    """A JPEG padded to ``megabytes`` MiB."""
    small = phone_jpeg((400, 300), None)
    return small + b"\x00" * (megabytes * 1024 * 1024 - len(small))
