"""Outgoing calls to WeChat and the SMS gateways: one place for timeouts and for what a failure
means. Every call has a connect and a read timeout (`NOTIFY_HTTP_TIMEOUT` seconds), so a
platform that hangs costs a delivery at most that long before it is tried again later. A network
error, a timeout or a 5xx is `ProviderUnavailable`; any other answer is handed back for the
provider to read."""

import functools
import ssl
from dataclasses import dataclass

import httpx
from django.conf import settings

from notify.providers.base import ProviderUnavailable


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes


@functools.cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def call(method: str, url: str, *, headers: dict[str, str] | None = None,
         content: bytes | None = None, params: dict[str, str] | None = None) -> Answer:
    timeout = httpx.Timeout(settings.NOTIFY_HTTP_TIMEOUT)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                          verify=_tls()) as client:
            response = client.request(method, url, headers=headers, content=content,
                                      params=params)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"{method} {url.split('?')[0]}: {type(exc).__name__}") from exc
    if response.status_code >= 500:
        raise ProviderUnavailable(f"{method} {url.split('?')[0]}: HTTP {response.status_code}")
    return Answer(response.status_code, response.headers, response.content)


def json_of(answer: Answer, what: str) -> dict:
    try:
        data = httpx.Response(200, content=answer.body).json()
    except ValueError:
        raise ProviderUnavailable(f"{what}: an answer that is not JSON") from None
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{what}: an answer that is not a JSON object")
    return data
