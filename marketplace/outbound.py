"""Calls to outside platforms (payment providers, WeChat, SMS gateways): one place for the
timeout and for what a failure means. A network error, a timeout or a 5xx raises the caller's
`unavailable` exception (the platform may be back later); any other answer is handed back for
the caller to verify and read."""

import functools
import ssl
from dataclasses import dataclass

import httpx


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


def call(method: str, url: str, *, timeout: float, unavailable: type[Exception],
         headers: dict[str, str] | None = None, content: bytes | None = None,
         data: dict[str, str] | None = None, params: dict[str, str] | None = None) -> Answer:
    """`timeout` seconds to connect and as many to read; never follows a redirect, never
    reads proxy settings from the environment. The URL in an error has no query string (it
    may carry a secret)."""
    shown = url.split("?", 1)[0]
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                          trust_env=False, verify=_tls()) as client:
            response = client.request(method, url, headers=headers, content=content, data=data,
                                      params=params)
    except httpx.HTTPError as exc:
        raise unavailable(f"{method} {shown}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 500:
        raise unavailable(f"{method} {shown}: HTTP {response.status_code}")
    return Answer(response.status_code, response.headers, response.content)
