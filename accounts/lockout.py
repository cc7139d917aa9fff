"""Brute-force lock-out of the admin's sign-in, per client address and per username.

Each failed sign-in counts against the address it came from and the username it tried. After
ADMIN_LOGIN_MAX_FAILURES failures in a row, that address (or username) is locked for
ADMIN_LOGIN_LOCKOUT_SECONDS; every further failure once the lock has run out doubles the lock
(back-off), up to a day. A successful sign-in clears the username's and the address's count.
Counts are forgotten a day after the last failure.

The counts live in the shared cache (Redis in production), so every worker process sees them.
When Redis does not answer, this process counts on its own for a while (each process still
locks), and sign-in keeps working.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

FORGET_AFTER = 24 * 3600  # seconds without a failure before a count is dropped
LONGEST_LOCK = 24 * 3600
SHARED_CACHE_PAUSE = 10.0  # seconds this process counts alone after Redis failed

_local = LocMemCache("shanhuo-lockout-fallback", {"MAX_ENTRIES": 10000})
_shared_down_until = {"t": 0.0}


def _store():
    return _local if time.monotonic() < _shared_down_until["t"] else cache


def _call(method: str, *args):
    store = _store()
    try:
        return getattr(store, method)(*args)
    except (RedisError, OSError) as exc:
        _shared_down_until["t"] = time.monotonic() + SHARED_CACHE_PAUSE
        logger.warning("Lock-out cache unreachable, counting in this process: %s", exc)
        return getattr(_local, method)(*args)


def _keys(address: str, username: str) -> list[str]:
    from accounts.usernames import username_key

    name = hashlib.sha256(username_key(username).encode()).hexdigest()[:32]
    return [f"lockout:addr:{address}", f"lockout:user:{name}"]


def locked_for(*, address: str, username: str) -> int:
    """Seconds until a sign-in from `address` as `username` may be tried again; 0: now."""
    now = time.time()
    untils = _call("get_many", [f"{key}:until" for key in _keys(address, username)])
    waits = [until - now for until in untils.values() if until and until > now]
    return int(max(waits)) + 1 if waits else 0


def _count(key: str) -> int:
    """One more failure on `key`, counted atomically (parallel guesses each count)."""
    store = _store()
    try:
        store.add(key, 0, FORGET_AFTER)
        failures = store.incr(key)
        store.touch(key, FORGET_AFTER)
        return failures
    except (RedisError, OSError) as exc:
        _shared_down_until["t"] = time.monotonic() + SHARED_CACHE_PAUSE
        logger.warning("Lock-out cache unreachable, counting in this process: %s", exc)
        _local.add(key, 0, FORGET_AFTER)
        return _local.incr(key)


def record_failure(*, address: str, username: str) -> None:
    for key in _keys(address, username):
        beyond = _count(f"{key}:failures") - settings.ADMIN_LOGIN_MAX_FAILURES
        if beyond >= 0:
            lock = min(settings.ADMIN_LOGIN_LOCKOUT_SECONDS * 2 ** min(beyond, 20), LONGEST_LOCK)
            _call("set", f"{key}:until", time.time() + lock, FORGET_AFTER)


def record_success(*, address: str, username: str) -> None:
    _call("delete_many", [f"{key}:{part}" for key in _keys(address, username)
                          for part in ("failures", "until")])
