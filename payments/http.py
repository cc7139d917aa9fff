"""Outgoing calls to payment platforms: one place for timeouts and for what a failure means.

Every call has a connect and a read timeout (`PAYMENT_HTTP_TIMEOUT` seconds): a platform that
hangs costs a request at most that long, and the caller (a task) retries with back-off. A
network error, a timeout or a 5xx is `ProviderUnavailable`; any other answer is handed back for
the provider to verify and read.
"""

import functools
import ssl
from dataclasses import dataclass

import httpx
from django.conf import settings

from payments.providers.base import ProviderUnavailable


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle for every call costs more than the
    call itself on a busy machine."""
    return httpx.create_ssl_context()


def call(method: str, url: str, *, headers: dict[str, str] | None = None,
         content: bytes | None = None, data: dict[str, str] | None = None) -> Answer:
    timeout = httpx.Timeout(settings.PAYMENT_HTTP_TIMEOUT)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                          verify=_tls()) as client:
            response = client.request(method, url, headers=headers, content=content, data=data)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 500:
        raise ProviderUnavailable(f"{method} {url}: HTTP {response.status_code}")
    return Answer(response.status_code, response.headers, response.content)
