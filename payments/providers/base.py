"""What every payment provider offers, in provider-neutral words.

A provider speaks one platform's protocol (signatures, encryption, field names) and nothing
else: it never reads or writes our models. `payments.services` decides what a payment, a
refund or a notification means for an order, with conditional UPDATEs, so that a webhook, the
reconciliation task and a cancellation racing on one order have one outcome.

Outgoing calls go through `payments.http.call`: a network failure, a timeout, a 5xx or an answer
whose signature does not verify raise `ProviderUnavailable` (the caller retries later; the API
answers 503); a platform that understood us and said no raises `ProviderRefused`.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest, HttpResponse

TradeStatus = Literal["pending", "succeeded", "failed", "closed"]
RefundStatus = Literal["pending", "succeeded", "failed"]


class ProviderUnavailable(Exception):
    """The platform could not be reached, timed out, answered 5xx, or answered something we
    cannot believe (a bad signature). Nothing is known to have happened: try again later."""


class ProviderRefused(Exception):
    """The platform understood the request and refused it (e.g. ORDER_PAID, NOT_ENOUGH)."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class NotificationRefused(Exception):
    """A callback we do not believe or cannot read: bad signature, stale timestamp, unknown
    key serial, malformed body. `status` is the HTTP status the platform is answered with."""

    def __init__(self, message: str, *, status: int = 400, code: str = "invalid_notification"):
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Charge:
    """What we ask the platform to collect. `out_trade_no` is ours (Payment.provider_ref)."""

    out_trade_no: str
    amount: Decimal  # yuan, two places
    currency: str
    description: str  # what the buyer sees on the platform's page (Chinese, ≤ 127 bytes)
    method: str  # one of the provider's `methods`
    notify_url: str  # where the platform posts its notification
    expires_at: datetime  # the order's payment window closes then
    openid: str = ""  # wechat_jsapi: the buyer's openid under WECHATPAY_APPID
    client_ip: str = ""  # wechat_h5 needs the payer's IP
    return_url: str = ""  # where a web page returns after paying (alipay_wap, wechat_h5)


@dataclass(frozen=True)
class Trade:
    """What the platform says of a payment (query, or a payment notification)."""

    out_trade_no: str
    status: TradeStatus
    transaction_id: str = ""  # the platform's id (WeChat transaction_id, Alipay trade_no)
    amount: Decimal | None = None  # what the payer paid, when known
    paid_at: datetime | None = None


@dataclass(frozen=True)
class RefundOrder:
    """A refund we ask for. `out_refund_no` is ours (Refund.number); idempotent at the
    platform: asking twice with the same number refunds once."""

    out_trade_no: str
    transaction_id: str
    out_refund_no: str
    amount: Decimal  # this refund
    total: Decimal  # the payment's whole amount
    currency: str
    reason: str
    notify_url: str


@dataclass(frozen=True)
class RefundResult:
    """What the platform says of a refund (answer, query or refund notification)."""

    out_refund_no: str
    status: RefundStatus
    refund_id: str = ""  # the platform's id for the refund
    amount: Decimal | None = None


@dataclass(frozen=True)
class Notice:
    """A verified notification: exactly one of `trade` and `refund` is set. `event_id` is the
    platform's id of this notification (a duplicate has the same one); `app_id` the merchant
    app it was for, already checked against ours by the provider."""

    event_id: str
    trade: Trade | None = None
    # only the sandbox names the order (it may report a payment begun outside this server);
    # the platforms' notifications are matched by `out_trade_no`
    order_number: str = ""
    refund: RefundResult | None = None
    payload: dict = field(default_factory=dict)


class Provider(ABC):
    name: str
    methods: tuple[str, ...]
    settles_at_once: bool = False  # the sandbox: no notification will follow

    @abstractmethod
    def problems(self) -> list[str]:
        """What is wrong with this provider's configuration (empty: ready). Reads settings and
        key files, never the network. A provider with none of its settings says so in one
        problem; `manage.py check --deploy` reports half-configured ones."""

    def configured(self) -> bool:
        return not self.problems()

    @abstractmethod
    def start(self, charge: Charge) -> dict:
        """Create the platform's transaction; the `action` the app needs (API.md): jsapi
        params, a redirect URL, a QR code_url or an SDK order string."""

    @abstractmethod
    def query(self, out_trade_no: str) -> Trade:
        """The platform's view of a payment. An unknown trade is `pending` (never started on
        the platform side, or not yet) — callers close it before giving up on it."""

    @abstractmethod
    def close(self, out_trade_no: str) -> None:
        """Close an unpaid transaction so it can no longer be paid. Closing one already
        closed or never created is not an error. A paid one -> ProviderRefused(code="paid")."""

    @abstractmethod
    def refund(self, order: RefundOrder) -> RefundResult:
        """Ask for a refund (idempotent by `out_refund_no`)."""

    @abstractmethod
    def refund_query(self, order: RefundOrder) -> RefundResult:
        """The platform's view of a refund we asked for."""

    @abstractmethod
    def parse_notification(self, request: HttpRequest) -> Notice:
        """Verify and read a callback. Raises NotificationRefused."""

    @abstractmethod
    def acknowledge(self, outcome: str = "processed", event_id: str = "") -> HttpResponse:
        """The answer that tells the platform the notification was taken (WeChat: 204; Alipay:
        the text `success`). `outcome` (processed, duplicate, ignored, refunded) is ours: only
        the sandbox says it."""

    @abstractmethod
    def refuse(self, error: NotificationRefused) -> HttpResponse:
        """The answer that makes the platform retry later (WeChat: 4xx/5xx with
        `{"code": "FAIL", "message"}`; Alipay: anything but `success`)."""
