"""Typed reads of environment variables for `settings.py`, each checked once, at start-up.

A value that is not what its setting needs (a fee that is not an amount, a timeout that is not a
number) stops the server before it serves a request, with an error that names the variable; it
never reaches the first order. An unset variable takes the default; so does an empty one,
except for the strings of `env_str`.
"""

import os
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _bad(name: str, value: str, wanted: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name} must be {wanted}; it is {value!r}.")


def env_str(name: str, default: str = "") -> str:
    """Unset -> the default; set, even to nothing, -> the value (`CLICK_REDIS_URL=` means none)."""
    value = os.environ.get(name)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise _bad(name, value, "one of 1/0, true/false, yes/no, on/off")


def _number(name: str, default, cast: type, minimum, wanted: str):
    value = _raw(name)
    if value is None:
        return default
    try:
        number = cast(value)
    except ValueError:
        raise _bad(name, value, wanted) from None
    if not minimum <= number < float("inf"):  # also refuses nan
        raise _bad(name, value, f"{wanted} of at least {minimum}")
    return number


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    return _number(name, default, int, minimum, "a whole number")


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    return _number(name, default, float, minimum, "a finite number")


def env_money(name: str, default: str) -> Decimal:
    """An amount in yuan with at most two decimal places, not negative: `10`, `9.90`."""
    value = _raw(name) or default
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _bad(name, value, "an amount such as 10.00") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise _bad(name, value, "an amount of at least 0 with at most two decimal places")
    return amount.quantize(Decimal("0.01"))


def env_rate(name: str, default: str, *, maximum: Decimal, places: int = 4) -> Decimal:
    """A share such as `0.05` (5%): from 0 to `maximum`, at most `places` decimal places."""
    value = _raw(name) or default
    try:
        rate = Decimal(value)
    except InvalidOperation:
        rate = None
    if (rate is None or not rate.is_finite() or not Decimal(0) <= rate <= maximum
            or rate.as_tuple().exponent < -places):
        raise _bad(name, value, f"a decimal from 0 to {maximum} with at most {places} places "
                                f"(0.05 for 5%)")
    return rate


def env_list(name: str, default: str = "") -> list[str]:
    """Comma-separated; blanks around and between the items are dropped."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_throttle_rate(name: str, default: str) -> str:
    """`<count>/<s|sec|m|min|h|hour|d|day>`, the form ninja's throttles parse."""
    value = env_str(name, default)
    count, _, period = value.partition("/")
    if not count.isdigit() or int(count) < 1 or period[:1] not in {"s", "m", "h", "d"}:
        raise _bad(name, value, "a rate such as 20/min")
    return value
