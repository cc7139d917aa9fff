"""Mainland China mobile numbers: `1[3-9]` and nine more digits, `+86` (or `86`, `0086`) in
front accepted, spaces and hyphens ignored. Stored as the eleven digits."""

import re

_MOBILE = re.compile(r"1[3-9]\d{9}")
_PREFIX = re.compile(r"^(?:\+86|0086|86)")


def mainland_mobile(raw: str) -> str | None:
    """The eleven digits of `raw`, or None when it is not a mainland mobile number."""
    if not isinstance(raw, str) or len(raw) > 32:
        return None
    digits = re.sub(r"[\s-]", "", raw)
    if len(digits) > 11:
        digits = _PREFIX.sub("", digits, count=1)
    return digits if _MOBILE.fullmatch(digits) else None


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else phone
