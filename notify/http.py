"""Outgoing calls to WeChat and the SMS gateways. Every call has a connect and a read timeout
(`NOTIFY_HTTP_TIMEOUT` seconds), so a platform that hangs costs a delivery at most that long
before it is tried again later. A network error, a timeout or a 5xx is `ProviderUnavailable`;
any other answer is handed back for the provider to read (marketplace.outbound)."""

import json

from django.conf import settings

from marketplace import outbound
from marketplace.outbound import Answer
from notify.providers.base import ProviderUnavailable


def call(method: str, url: str, *, headers: dict[str, str] | None = None,
         content: bytes | None = None, params: dict[str, str] | None = None) -> Answer:
    return outbound.call(method, url, timeout=settings.NOTIFY_HTTP_TIMEOUT,
                         unavailable=ProviderUnavailable, headers=headers, content=content,
                         params=params)


def json_of(answer: Answer, what: str) -> dict:
    try:
        data = json.loads(answer.body)
    except ValueError:
        raise ProviderUnavailable(f"{what}: an answer that is not JSON") from None
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{what}: an answer that is not a JSON object")
    return data
