"""Outgoing calls to payment platforms: one place for timeouts and for what a failure means.

Every call has a connect and a read timeout (`PAYMENT_HTTP_TIMEOUT` seconds): a platform that
hangs costs a request at most that long, and the caller (a task) retries with back-off. A
network error, a timeout or a 5xx is `ProviderUnavailable`; any other answer is handed back for
the provider to verify and read (marketplace.outbound).
"""

from django.conf import settings

from marketplace import outbound
from marketplace.outbound import Answer
from payments.providers.base import ProviderUnavailable

__all__ = ["Answer", "call"]


def call(method: str, url: str, *, headers: dict[str, str] | None = None,
         content: bytes | None = None, data: dict[str, str] | None = None) -> Answer:
    return outbound.call(method, url, timeout=settings.PAYMENT_HTTP_TIMEOUT,
                         unavailable=ProviderUnavailable, headers=headers, content=content,
                         data=data)
