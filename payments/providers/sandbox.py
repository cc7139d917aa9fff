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
from django.http import HttpRequest, HttpResponse, JsonResponse

from marketplace.errors import error_response
from marketplace.money import money
from orders.models import MAX_AMOUNT
from payments.providers.base import (
    Charge,
    Notice,
    NotificationRefused,
    Provider,
    RefundOrder,
    RefundResult,
    Trade,
)

SIGNATURE_HEADER = "X-Shanhuo-Signature"
EVENT_STATUS = {"payment.succeeded": "succeeded", "payment.failed": "failed"}


def _secret() -> bytes:
    secret = settings.PAYMENT_SANDBOX_WEBHOOK_SECRET
    if not secret:
        raise NotificationRefused(
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
        raise NotificationRefused("The webhook signature header is malformed.",
                                 code="invalid_signature")
    return timestamp, signatures


class SandboxProvider(Provider):
    """Development only: every call succeeds at once and nothing leaves the machine."""

    name = "sandbox"
    methods = ("sandbox",)
    settles_at_once = True

    def problems(self) -> list[str]:
        return []

    def start(self, charge: Charge) -> dict | None:
        return None

    def query(self, out_trade_no: str) -> Trade:
        return Trade(out_trade_no=out_trade_no, status="succeeded")

    def close(self, out_trade_no: str) -> None:
        return None

    def refund(self, order: RefundOrder) -> RefundResult:
        return RefundResult(order.out_refund_no, "succeeded", f"sbr_{secrets.token_hex(12)}",
                            order.amount)

    def refund_query(self, order: RefundOrder) -> RefundResult:
        return RefundResult(order.out_refund_no, "succeeded", amount=order.amount)

    def parse_notification(self, request: HttpRequest) -> Notice:
        header = request.headers.get(SIGNATURE_HEADER, "")
        if not header:
            raise NotificationRefused("The webhook is not signed.", code="invalid_signature")
        timestamp, signatures = _parse_header(header)
        body = request.body
        expected = hmac.new(
            _secret(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not any(hmac.compare_digest(expected, s) for s in signatures):
            raise NotificationRefused("The webhook signature does not match.",
                                     code="invalid_signature")
        if abs(time.time() - timestamp) > settings.PAYMENT_WEBHOOK_TOLERANCE:
            raise NotificationRefused(
                "The webhook timestamp is too old (or in the future): replays are refused.",
                code="stale_webhook",
            )
        return _notice(body)

    def acknowledge(self, outcome: str = "processed", event_id: str = "") -> HttpResponse:
        return JsonResponse({"status": outcome, "event_id": event_id})

    def refuse(self, error: NotificationRefused) -> HttpResponse:
        return error_response(error.status, error.code, str(error))


def _notice(body: bytes) -> Notice:
    if b"\x00" in body or b"\\u0000" in body:
        raise NotificationRefused("The webhook body is malformed.", code="invalid_payload")
    try:
        payload = json.loads(body)
        data = payload["data"]
        event_id = str(payload["id"])[:128]
        status = EVENT_STATUS[str(payload["type"])]
        ref = str(data["payment_ref"])[:64]
        amount = money(str(data["amount"]))
        order_number = str(data["order_number"])[:32]
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        raise NotificationRefused("The webhook body is malformed.", code="invalid_payload") from exc
    if not event_id or not ref or not (amount.is_finite() and Decimal(0) < amount < MAX_AMOUNT):
        raise NotificationRefused("The webhook body is malformed.", code="invalid_payload")
    return Notice(event_id=event_id, order_number=order_number, payload=payload,
                  trade=Trade(out_trade_no=ref, status=status, transaction_id=ref, amount=amount))
