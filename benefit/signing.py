"""The Ed25519 key that signs the public ledger's heads (`GET /benefit/ledger/head`).

BENEFIT_SIGNING_KEY names a PEM file (PKCS#8, unencrypted). In development (DEBUG on) with
none set, a key is generated on first use at BENEFIT_DEV_SIGNING_KEY and kept there; with
DEBUG off there is no such fallback: the system check `benefit.E001` stops the server's
management commands at start, and the head answers 503 `signing_key_missing`."""

import base64
import json
import os
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from marketplace.errors import ServiceUnavailable


class SigningKeyMissing(Exception):
    pass


def key_path() -> Path | None:
    if settings.BENEFIT_SIGNING_KEY:
        return Path(settings.BENEFIT_SIGNING_KEY)
    if settings.DEBUG:
        return Path(settings.BENEFIT_DEV_SIGNING_KEY)
    return None


def key_problem() -> str | None:
    """Why the key cannot be used, or None (the system check asks)."""
    path = key_path()
    if path is None:
        return ("BENEFIT_SIGNING_KEY is not set: with DEBUG off, give the path of an Ed25519 "
                "private key in PEM (openssl genpkey -algorithm ed25519 -out key.pem).")
    if not path.exists():
        if settings.DEBUG and not settings.BENEFIT_SIGNING_KEY:
            return None  # generated on first use
        return f"BENEFIT_SIGNING_KEY names {path}, which does not exist."
    try:
        _load(str(path))
    except (ValueError, TypeError, OSError) as exc:
        return f"BENEFIT_SIGNING_KEY ({path}) is not an unencrypted Ed25519 PEM key: {exc}"
    return None


@cache
def _load(path: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError("not an Ed25519 key")
    return key


def _generate(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def private_key() -> Ed25519PrivateKey:
    path = key_path()
    if path is None or key_problem():
        raise ServiceUnavailable("The ledger's signing key is not configured.",
                                 code="signing_key_missing")
    if not path.exists():
        _generate(path)
    return _load(str(path))


def public_key_b64() -> str:
    raw = private_key().public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def signed_bytes(heads: dict, signed_at: str) -> bytes:
    return json.dumps({"heads": heads, "signed_at": signed_at}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(heads: dict, signed_at: str) -> str:
    return base64.b64encode(private_key().sign(signed_bytes(heads, signed_at))).decode()
