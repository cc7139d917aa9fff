"""Trace codes: short, URL-safe, unguessable names of harvest lots, printed as QR labels.

Ten characters from an alphabet without look-alikes (no 0/O/o, 1/l/I): 56**10, about 2**58
codes, drawn with `secrets`, so one code says nothing about its neighbours.
"""

import io
import re
import secrets

import segno
from django.conf import settings

ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 10


def new_trace_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def could_be_trace_code(code: str) -> bool:
    """False for what no stored code can be (too long, NUL, slashes...): such a look-up is a
    404 without touching the database."""
    return bool(_SHAPE.match(code))


def trace_url(code: str) -> str:
    return f"{settings.SITE_URL}/trace/{code}"


def qr_url(code: str) -> str:
    return f"{settings.SITE_URL}/trace/{code}/qr.png"


def qr_code(code: str) -> segno.QRCode:
    # Error correction "Q" (25%): labels on boxes get scuffed.
    return segno.make_qr(trace_url(code), error="q")


def qr_png(code: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    qr_code(code).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
