"""What every payment provider offers: start a payment, verify its callbacks, refund.

A provider never changes an order itself; `orders.services` does, with conditional UPDATEs, so
that a payment, a cancellation and the expiry task racing on one order have one outcome.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest


@dataclass(frozen=True)
class PaymentIntent:
    """What `start` returns: the provider's reference for the payment and whether the money
    has already been taken (`settled`) or will be confirmed later by a webhook."""

    provider_ref: str
    settled: bool


@dataclass(frozen=True)
class WebhookEvent:
    """A verified callback in provider-neutral words."""

    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"

    event_id: str
    type: str
    order_number: str
    provider_ref: str
    amount: Decimal  # what the provider took, in yuan with two places
    payload: dict


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def start(self, order) -> PaymentIntent:
        """Begin taking `order.total` for the order."""

    @abstractmethod
    def verify_webhook(self, request: HttpRequest) -> WebhookEvent:
        """The event a callback carries. Raises a DomainError (400) when the signature is
        wrong, the timestamp too old or the body malformed."""

    @abstractmethod
    def refund(self, payment) -> str:
        """Give the payment's money back; returns the provider's refund reference."""
