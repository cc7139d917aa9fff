"""Per-client-address throttles whose rate is read from settings at request time."""

from django.conf import settings
from ninja.throttling import AnonRateThrottle


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
        return super().allow_request(request)


def auth_throttle(scope: str) -> list:
    return [SettingRateThrottle("AUTH_THROTTLE_RATE", scope)]
