"""Sellers' id numbers and credit codes at rest: Fernet (AES-128-CBC with HMAC-SHA256) with the
keys of ID_NUMBER_KEYS, the first encrypting, every one decrypting (MultiFernet), so a key can
be rotated. Nothing but the token is stored; the clear number exists only while a request
checks it and, for staff, in `reveal` (never in an answer, a log or a report)."""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_KEY_SALT = b"shanhuo-id-number-key:"


def key_problem() -> str | None:
    """Why id numbers cannot be encrypted with the configured keys, or None."""
    if not settings.ID_NUMBER_KEYS:
        if settings.DEBUG:
            return None
        return ("ID_NUMBER_KEYS is not set: sellers' id numbers cannot be stored. Generate one "
                "with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`.")
    for index, key in enumerate(settings.ID_NUMBER_KEYS, 1):
        try:
            Fernet(key)
        except ValueError:
            return (f"Key {index} of ID_NUMBER_KEYS is not a Fernet key (URL-safe base64 of "
                    f"32 bytes).")
    return None


def _keys() -> list[bytes]:
    if settings.ID_NUMBER_KEYS:
        return [key.encode() for key in settings.ID_NUMBER_KEYS]
    if not settings.DEBUG:
        raise ImproperlyConfigured(key_problem())
    digest = hashlib.sha256(DEV_KEY_SALT + settings.SECRET_KEY.encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt(number: str) -> str:
    return _fernet().encrypt(number.encode()).decode()


def reveal(token: str) -> str | None:
    """The clear number of a stored token, or None when no configured key opens it."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def rotate(token: str) -> str:
    """The token encrypted again with the first key (after a key rotation)."""
    return _fernet().rotate(token.encode()).decode()


def fingerprint(number: str) -> str:
    """A keyed hash of the number: finds the same number submitted by two farms without storing
    it in the clear (Fernet tokens differ each time)."""
    key = _keys()[0]
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()[:32]
