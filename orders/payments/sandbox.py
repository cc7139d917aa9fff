"""The sandbox provider: settles at once, takes no real money, and signs its webhooks exactly
as a real provider would, so that the webhook path is exercised end to end.

Webhook: `POST /api/v1/payments/webhooks/sandbox` with the JSON body

    {"id": "evt_...", "type": "payment.succeeded" | "payment.failed",
     "data": {"order_number": "SH...", "payment_ref": "sbx_...", "amount": "12.50"}}

and the header `X-Shanhuo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
keyed with PAYMENT_SANDBOX_WEBHOOK_SECRET. A timestamp further than PAYMENT_WEBHOOK_TOLERANCE
seconds from now is refused, so a captured request cannot be replayed later.
"""

import hashlib
import hmac
import json
import re
import secrets
import time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from marketplace.errors import BadRequest, PayloadTooLarge
from marketplace.money import money
from orders.models import MAX_AMOUNT
from orders.payments.base import PaymentIntent, PaymentProvider, WebhookEvent

SIGNATURE_HEADER = "X-Shanhuo-Signature"


def _secret() -> bytes:
    secret = settings.PAYMENT_SANDBOX_WEBHOOK_SECRET
    if not secret:
        raise BadRequest(
            "Sandbox webhooks are off: PAYMENT_SANDBOX_WEBHOOK_SECRET is not set.",
            code="webhook_not_configured",
        )
    return secret.encode()


def sign(body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for `body` (what the sandbox sends; tests and tools use it)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(_secret(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _parse_header(value: str) -> tuple[int, list[str]]:
    timestamp, signatures = None, []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        # ASCII only: str.isdigit() passes "²" that int() refuses, and compare_digest refuses
        # non-ASCII text
        if key == "t" and re.fullmatch(r"[0-9]{1,12}", item):
            timestamp = int(item)
        elif key == "v1" and re.fullmatch(r"[0-9a-f]{64}", item):
            signatures.append(item)
    if timestamp is None or not signatures:
        raise BadRequest("The webhook signature header is malformed.", code="invalid_signature")
    return timestamp, signatures


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def start(self, order) -> PaymentIntent:
        return PaymentIntent(provider_ref=f"sbx_{secrets.token_hex(12)}", settled=True)

    def refund(self, payment) -> str:
        return f"sbr_{secrets.token_hex(12)}"

    def verify_webhook(self, request: HttpRequest) -> WebhookEvent:
        header = request.headers.get(SIGNATURE_HEADER, "")
        if not header:
            raise BadRequest("The webhook is not signed.", code="invalid_signature")
        timestamp, signatures = _parse_header(header)
        try:
            body = request.body
        except RequestDataTooBig as exc:
            raise PayloadTooLarge("The webhook body is too large.") from exc
        expected = hmac.new(
            _secret(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not any(hmac.compare_digest(expected, s) for s in signatures):
            raise BadRequest("The webhook signature does not match.", code="invalid_signature")
        if abs(time.time() - timestamp) > settings.PAYMENT_WEBHOOK_TOLERANCE:
            raise BadRequest(
                "The webhook timestamp is too old (or in the future): replays are refused.",
                code="stale_webhook",
            )
        return _event(body)


def _event(body: bytes) -> WebhookEvent:
    if b"\x00" in body or b"\\u0000" in body:
        raise BadRequest("The webhook body is malformed.", code="invalid_payload")
    try:
        payload = json.loads(body)
        data = payload["data"]
        event = WebhookEvent(
            event_id=str(payload["id"])[:128],
            type=str(payload["type"])[:64],
            order_number=str(data["order_number"]),
            provider_ref=str(data["payment_ref"])[:128],
            # in fen as stored, so that the range below is the one the columns hold
            amount=money(str(data["amount"])),
            payload=payload,
        )
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        raise BadRequest("The webhook body is malformed.", code="invalid_payload") from exc
    amount_ok = event.amount.is_finite() and Decimal("0") < event.amount < MAX_AMOUNT
    if not event.event_id or not event.provider_ref or not amount_ok:
        raise BadRequest("The webhook body is malformed.", code="invalid_payload")
    return event
