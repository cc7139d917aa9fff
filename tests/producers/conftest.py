"""Producers' fixtures: two farms with API clients, a listing, and images made on the spot
(a real JPEG with GPS EXIF, a PNG whose header claims 20000x20000 pixels)."""

import io
import struct
import zlib

import pytest
from PIL import Image

from tests.factories import client_for, make_listing, make_producer


@pytest.fixture
def producer(db):
    return make_producer(username="farmer_li", name="李家果园")


@pytest.fixture
def owner_api(producer):
    return client_for(producer.user)


@pytest.fixture
def other_producer(regions):
    return make_producer(username="farmer_wang", name="王家茶园", region=regions["xihu"])


@pytest.fixture
def other_api(other_producer):
    return client_for(other_producer.user)


@pytest.fixture
def listing(producer):
    return make_listing(producer=producer, stock=10, description="脆甜多汁",
                        story="山坡上的老果园")


def jpeg_bytes(width: int = 1200, height: int = 800, *, gps: bool = False,
               orientation: int | None = None) -> bytes:
    image = Image.new("RGB", (width, height), (200, 60, 40))
    exif = Image.Exif()
    if gps:
        # GPS IFD: latitude 34°N, longitude 114°E (somewhere in Henan).
        exif[0x8825] = {1: "N", 2: (34.0, 3.0, 30.0), 3: "E", 4: (114.0, 52.0, 10.0)}
        exif[0x010F] = "PhoneMaker"
    if orientation:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=85)
    return buffer.getvalue()


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height and whose data is a few bytes: what a
    decompression bomb looks like to a server that decodes before it checks."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))
