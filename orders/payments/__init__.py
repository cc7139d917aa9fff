"""Payment providers by name. `PAYMENT_PROVIDERS` lists those buyers may choose."""

from django.conf import settings

from marketplace.errors import NotFound, ValidationFailed
from orders.payments.base import PaymentIntent, PaymentProvider, WebhookEvent
from orders.payments.sandbox import SandboxProvider

PROVIDERS: dict[str, PaymentProvider] = {p.name: p for p in [SandboxProvider()]}

__all__ = ["PaymentIntent", "PaymentProvider", "WebhookEvent", "provider_for_checkout",
           "provider_named"]


def provider_named(name: str) -> PaymentProvider:
    """The provider a webhook names; unknown or switched off -> 404."""
    if name not in PROVIDERS or name not in settings.PAYMENT_PROVIDERS:
        raise NotFound("No such payment provider.", code="unknown_provider")
    return PROVIDERS[name]


def provider_for_checkout(method: str) -> PaymentProvider:
    """The provider a buyer chose to pay with; unknown or switched off -> 422."""
    if method not in PROVIDERS or method not in settings.PAYMENT_PROVIDERS:
        raise ValidationFailed({"method": f"Unknown payment method {method!r}."})
    return PROVIDERS[method]
