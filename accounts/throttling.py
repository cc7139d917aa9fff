"""Per-client-address throttles whose rate is read from settings at request time.

The history lives in the shared cache (Redis in production). When Redis does not answer
(REDIS_TIMEOUT), the throttle counts in this process instead, at the same rate, and leaves Redis
alone for a few seconds: sign-in and sign-up keep working, each process still limits.
"""

import logging
import time

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from ninja.throttling import AnonRateThrottle
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_local_cache = LocMemCache("shanhuo-throttle-fallback", {"MAX_ENTRIES": 10000})
_shared_down_until = {"t": 0.0}
SHARED_CACHE_PAUSE = 10.0  # seconds the throttle keeps to itself after Redis failed


def reset_local() -> None:
    """Forget this process's own history and that Redis failed (the test suite, between
    tests)."""
    _local_cache.clear()
    _shared_down_until["t"] = 0.0


class SettingRateThrottle(AnonRateThrottle):
    """Limits by client address; the rate is the named setting, e.g. AUTH_THROTTLE_RATE."""

    def __init__(self, setting_name: str, scope: str):
        self.setting_name = setting_name
        self.scope = scope
        super().__init__(rate=getattr(settings, setting_name))

    def get_cache_key(self, request):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request) -> bool:
        self.rate = getattr(settings, self.setting_name)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if time.monotonic() >= _shared_down_until["t"]:
            try:
                return super().allow_request(request)
            except (RedisError, OSError) as exc:
                _shared_down_until["t"] = time.monotonic() + SHARED_CACHE_PAUSE
                logger.warning("Throttle cache unreachable, limiting per process: %s", exc)
        local = _LocalThrottle(self.setting_name, self.scope)
        allowed = local.allow_request(request)
        self.key, self.history, self.now = local.key, local.history, local.now
        return allowed


class _LocalThrottle(SettingRateThrottle):
    cache = _local_cache

    def allow_request(self, request) -> bool:
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return AnonRateThrottle.allow_request(self, request)


def auth_throttle(scope: str) -> list:
    return [SettingRateThrottle("AUTH_THROTTLE_RATE", scope)]


class AccountRateThrottle(SettingRateThrottle):
    """Limits by signed-in account (the bearer's user), for work that costs the server per call
    whatever address it comes from; the rate is the named setting."""

    def get_cache_key(self, request):
        return self.cache_format % {"scope": self.scope, "ident": f"user-{request.auth.pk}"}


def account_throttle(setting_name: str, scope: str) -> list:
    return [AccountRateThrottle(setting_name, scope)]
