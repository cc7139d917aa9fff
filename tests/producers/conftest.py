"""Producers' fixtures: farms with their accounts and API clients, listings, and images made
on the spot (a real JPEG with GPS EXIF, a PNG whose header claims 20000x20000 pixels)."""

import io
import struct
import zlib
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image

from producers import services
from producers.models import Listing
from tests.concurrency import run_concurrently


@pytest.fixture
def make_producer(make_user, regions):
    def make(username: str | None = None, *, name: str = "李家果园", region=None,
             kind: str = "farmer", story: str = "三代人种苹果。"):
        user = make_user(username)
        producer = services.producer_create(
            user=user, name=name, kind=kind, region_id=(region or regions["village"]).pk,
            story=story,
        )
        return producer

    return make


@pytest.fixture
def producer(make_producer):
    return make_producer("farmer_li", name="李家果园")


@pytest.fixture
def owner_api(producer, client_for):
    return client_for(producer.user)


@pytest.fixture
def other_producer(make_producer, regions):
    return make_producer("farmer_wang", name="王家茶园", region=regions["xihu"])


@pytest.fixture
def other_api(other_producer, client_for):
    return client_for(other_producer.user)


@pytest.fixture
def make_listing(categories):
    def make(producer, *, title: str = "红富士苹果", category: str = "apples",
             price: str = "12.50", stock: int = 10, status: str = "active", **fields) -> Listing:
        return services.listing_create(
            producer=producer, title=title, category=category, unit="jin",
            price=Decimal(price), stock=stock, status=status, **fields,
        )

    return make


@pytest.fixture
def listing(producer, make_listing):
    return make_listing(producer, description="脆甜多汁", story="山坡上的老果园")


@pytest.fixture
def make_batch():
    def make(listing, **fields):
        fields.setdefault("harvested_on", date(2026, 10, 1))
        return services.batch_create(listing=listing, **fields)

    return make


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


def run_at_once(work, threads: int) -> list:
    """work(n) in `threads` real threads released together (PostgreSQL tests with
    transaction=True); what each returned or raised, in thread order."""
    return run_concurrently(*[lambda n=n: work(n) for n in range(threads)])
