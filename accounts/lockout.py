"""Brute-force lock-out of every sign-in path: the API's `POST /auth/token`, the admin's
`/admin/login/` and phone codes (`POST /auth/phone`).

An *account* is a username (password sign-in) or a phone (code sign-in); an *address* is the
client's network (`marketplace.visitors.network_of`: an IPv4 address, an IPv6 /64). Failures
are counted three ways:

- per (account, address): after ADMIN_LOGIN_MAX_FAILURES failures in a row this address may not
  try this account for ADMIN_LOGIN_LOCKOUT_SECONDS; each further failure once the lock has run
  out doubles it (back-off), up to a day. A guesser locks only itself.
- per address, across accounts: the same lock after ADDRESS_FACTOR times as many failures,
  for one address spraying many usernames (higher, as many people may share one address
  behind a carrier's NAT, and five slips among them must not lock them all out).
- per account, from every address: past SIGN_IN_ACCOUNT_CEILING failures (a day without one
  forgets them) the account is under attack and is *slowed*, never locked: together, the
  addresses without a recent success on it get one try per SIGN_IN_ACCOUNT_SLOW_SECONDS.

A success from an address marks it *known* for the account for KNOWN_FOR (30 days) and clears
that pair's and that address's counts. A known address is never held by the account-wide
slowing nor by other accounts' failures from its address: the owner signs in from their usual
place whatever others guess. Only its own failures on that account lock it.

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
KNOWN_FOR = 30 * 24 * 3600  # a success keeps its address known to the account this long
SHARED_CACHE_PAUSE = 10.0  # seconds this process counts alone after Redis failed
ADDRESS_FACTOR = 4  # an address is locked out of every account after 4x the failures

_local = LocMemCache("shanhuo-lockout-fallback", {"MAX_ENTRIES": 10000})
_shared_down_until = {"t": 0.0}


def reset_local() -> None:
    """Forget this process's own counts and that Redis failed (the test suite, between tests:
    one process runs many, and counts carried over would lock later tests out)."""
    _local.clear()
    _shared_down_until["t"] = 0.0


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


def username_account(username: str) -> str:
    """The account a password sign-in names (usernames compare as accounts.usernames does)."""
    from accounts.usernames import username_key

    return f"user:{username_key(username)}"


def phone_account(phone: str) -> str:
    return f"phone:{phone}"


def _keys(address: str, account: str) -> dict[str, str]:
    from marketplace.visitors import network_of

    name = hashlib.sha256(account.encode()).hexdigest()[:32]
    net = hashlib.sha256(network_of(address).encode()).hexdigest()[:32]
    return {"pair": f"lockout:pair:{name}:{net}", "addr": f"lockout:addr:{net}",
            "account": f"lockout:account:{name}", "known": f"lockout:known:{name}:{net}",
            "slot": f"lockout:slot:{name}"}


def admit(*, address: str, account: str) -> int:
    """May `address` try to sign in as `account` now? 0: yes (the try is counted against the
    account's slowing when it is under attack); else the seconds to wait."""
    now = time.time()
    keys = _keys(address, account)
    values = _call("get_many", [f"{keys['pair']}:until", f"{keys['addr']}:until",
                                f"{keys['account']}:failures", keys["known"]])
    known = bool(values.get(keys["known"]))
    untils = [values.get(f"{keys['pair']}:until")]
    if not known:
        untils.append(values.get(f"{keys['addr']}:until"))
    waits = [until - now for until in untils if until and until > now]
    if waits:
        return int(max(waits)) + 1
    if known or (values.get(f"{keys['account']}:failures") or 0) < settings.SIGN_IN_ACCOUNT_CEILING:
        return 0
    slow = settings.SIGN_IN_ACCOUNT_SLOW_SECONDS
    if _call("add", keys["slot"], now + slow, slow):
        return 0
    taken_until = _call("get", keys["slot"]) or 0
    if taken_until <= now:  # the clock moved on (a cache's expiry lags behind it)
        _call("set", keys["slot"], now + slow, slow)
        return 0
    return int(taken_until - now) + 1


def admit_or_429(*, address: str, account: str) -> None:
    """429 `sign_in_locked` with Retry-After when `address` may not try `account` now, before
    the secret is checked: a guess made during the lock tells nothing, even a right one."""
    from marketplace.errors import Throttled

    wait = admit(address=address, account=account)
    if wait:
        raise Throttled(f"登录失败次数过多，请在 {wait} 秒后再试。", code="sign_in_locked",
                        retry_after=wait)


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


def record_failure(*, address: str, account: str) -> None:
    keys = _keys(address, account)
    for key, factor in ((keys["pair"], 1), (keys["addr"], ADDRESS_FACTOR)):
        beyond = _count(f"{key}:failures") - settings.ADMIN_LOGIN_MAX_FAILURES * factor
        if beyond >= 0:
            lock = min(settings.ADMIN_LOGIN_LOCKOUT_SECONDS * 2 ** min(beyond, 20), LONGEST_LOCK)
            _call("set", f"{key}:until", time.time() + lock, FORGET_AFTER)
    _count(f"{keys['account']}:failures")


def record_success(*, address: str, account: str) -> None:
    keys = _keys(address, account)
    _call("delete_many", [f"{key}:{part}" for key in (keys["pair"], keys["addr"])
                          for part in ("failures", "until")])
    _call("set", keys["known"], 1, KNOWN_FOR)
